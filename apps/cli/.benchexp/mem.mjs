import v8 from 'node:v8';
const what = process.argv[2];
const show = (label) => { global.gc?.(); const m = process.memoryUsage(); console.log(label.padEnd(20), 'rss', (m.rss/1048576).toFixed(1), 'heapUsed', (m.heapUsed/1048576).toFixed(1), 'heapTotal', (m.heapTotal/1048576).toFixed(1), 'ext', (m.external/1048576).toFixed(1), 'ab', (m.arrayBuffers/1048576).toFixed(1)); };
show('start');
if (what.includes('zod')) { await import('zod'); show('zod'); }
if (what.includes('yaml')) { await import('yaml'); show('yaml'); }
if (what.includes('ws')) { await import('ws'); show('ws'); }
if (what.includes('proto')) { await import('@gator/protocol'); show('protocol'); }
if (what.includes('db')) { await import('@gator/db'); show('db'); }
if (what.includes('wrap')) { await import('@gator/wrapper'); show('wrapper'); }
if (what.includes('sqlite')) { const { openLayerStore } = await import('@gator/db'); const s = openLayerStore({ dir: '/tmp/bb/memtest', kind: 'wrapper' }); show('store open'); }
for (const s of v8.getHeapSpaceStatistics()) console.log('  ', s.space_name.padEnd(26), (s.space_used_size/1048576).toFixed(2), '/', (s.physical_space_size/1048576).toFixed(2));
