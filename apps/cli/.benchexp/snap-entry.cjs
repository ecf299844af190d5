const v8 = require('v8');
const proto = require('@gator/protocol');
const wrapper = require('@gator/wrapper');
const path = require('path');
v8.startupSnapshot.setDeserializeMainFunction(async () => {
  const argv = process.argv.slice(2);
  const get = (n) => argv[argv.indexOf(n) + 1];
  const id = get('--id'); const tracking = path.resolve(get('--tracking'));
  const token = process.env.GATOR_TOKEN;
  const parent = await proto.connect(get('--parent'), { token, requestTimeoutMs: 60000 });
  const reply = await parent.request('spec', { ident: id });
  const spec = proto.loadSpec(reply.spec, 'x');
  const w = wrapper.createWrapper({ spec: { ...spec, ident: id }, ident: id, tracking, parent, limits: { error: 0, critical: 0 }, interval: 5, token });
  const outcome = await w.run();
  parent.close();
  process.exitCode = outcome.result === proto.JobResult.SUCCESS ? 0 : 1;
});
