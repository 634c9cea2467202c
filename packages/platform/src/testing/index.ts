export * from './databases.ts';
export * from './logs.ts';
