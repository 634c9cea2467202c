export * from './databases.ts';
export * from './logs.ts';
export * from './processes.ts';
export * from './otlp-receiver.ts';
export * from './wait-for.ts';
