import { Session } from 'node:inspector';
import { writeFileSync } from 'node:fs';
const session = new Session();
session.connect();
session.post('Profiler.enable');
session.post('Profiler.setSamplingInterval', { interval: 200 });
session.post('Profiler.start');
process.on('exit', () => {
  session.post('Profiler.stop', (err, res) => {
    if (!err) writeFileSync(`/tmp/gwprof/gateway-${process.pid}.cpuprofile`, JSON.stringify(res.profile));
  });
});
await import('./src/main.ts');
