import { test } from 'vitest';
import { loadSpec, dumpSpec } from '../src/index.js';
const show = (t: string) => { const t0 = Date.now(); try { const s = loadSpec(t, 'x.yaml'); console.log(JSON.stringify(s).slice(0, 300)); } catch (e) { console.log((e as Error).message.slice(0, 600)); } console.log('ms', Date.now() - t0); };
test('scratch', () => {
  show('!JobGroup {}');
  show('!JobGroup\njobs:\n  - &base !Job {command: echo, env: {A: 1}}\n  - !Job\n    <<: *base\n    ident: second\n');
  show('!Job\ncommand: x\nenv: {A: yes, B: 1.5, C: 010, D: 0x1F, E: 1:30, F: ~, G: 2024-01-01}\nargs: [1_000]\n');
  show('!Job\ncommand: x\ncommand: y\n');
  show('!Job {command: x}\n---\n!Job {command: y}\n');
  show('!Job\ncommand: !!python/object:os.system x\n');
  show('!Job\nident: 1:30\ncommand: x\n');
  const laughs = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]'];
  for (let i = 1; i < 12; i++) laughs.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill('*' + String.fromCharCode(96 + i)).join(',')}]`);
  show('!Job\ncommand: x\nenv:\n' + laughs.map((l) => '  ' + l).join('\n'));
  show('!Job\ncommand: x\nargs: ' + '['.repeat(5000) + ']'.repeat(5000));
  show('!Job\ncommand: x\nargs: ' + '['.repeat(100000) + ']'.repeat(100000));
  show('!Job\ncommand: x\nargs: ' + '{a: '.repeat(20000) + '1' + '}'.repeat(20000));
  let nested = '!JobGroup\njobs:\n'; let ind = '  ';
  for (let i = 0; i < 300; i++) { nested += `${ind}- !JobGroup\n${ind}  jobs:\n`; ind += '    '; }
  show(nested);
  show('!JobGroup\njobs:\n  - !Job {command: a}\n  - !Job {command: b}\n  - !Job {ident: T1, command: c}\n');
  show('!JobGroup\njobs:\n  - !Job {ident: a, command: a, on_pass: [c]}\n  - !Job {ident: b, command: b, on_pass: [a]}\n  - !Job {ident: c, command: c, on_done: [b]}\n  - !Job {ident: d, command: d, on_done: [d]}\n');
  show('!Job\ncommand: x\nresources: [!Cores [1], !Cores {count: 2}, !Memory [1, PB], !Memory {size: -1}, !License [a], !License {name: a, count: 0}, !License [b, 1, 3]]\n');
  show('!Job\ncommand: x\ntimeout: 10x\nhang_timeout: 0\nretries: -1\nlog_rules: [{pattern: "(", severity: BAD}, {preset: nope}, {preset: uvm}, 5]\nstderr_severity: info\n');
  show('!JobArray\nrepeats: 2\nseed: [1, 2, 3]\nlimits: {error: 1, bogus: 2}\njobs: []\n');
  show('- a\n- b\n');
  show('hello');
  show('!Job\ncommand: x\n? [a, b]\n: 1\nyes: 3\n');
});
