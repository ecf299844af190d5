import { describe, expect, it } from 'vitest';
import { QueueSnapshot, TaskSet, parseQstatXml } from './qstat.js';

// As qstat -xml prints it (SGE 8.1.9): running tasks one job_list each, pending tasks sharing one.
const XML = `<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
    <job_list state="running">
      <JB_job_number>51</JB_job_number>
      <JAT_prio>0.50000</JAT_prio>
      <JB_name>a3</JB_name>
      <JB_owner>root</JB_owner>
      <state>r</state>
      <JAT_start_time>2026-12-01T11:29:39</JAT_start_time>
      <queue_name>all.q@localhost</queue_name>
      <slots>1</slots>
      <tasks>1</tasks>
    </job_list>
    <job_list state="running">
      <JB_job_number>60</JB_job_number>
      <state>t</state>
      <queue_name>all.q@localhost</queue_name>
      <slots>1</slots>
    </job_list>
  </queue_info>
  <job_info>
    <job_list state="pending">
      <JB_job_number>51</JB_job_number>
      <state>qw</state>
      <tasks>4,6-10:2</tasks>
    </job_list>
    <job_list state="pending">
      <JB_job_number>52</JB_job_number>
      <state>Eqw</state>
    </job_list>
    <job_list state="pending">
      <JB_job_number>53</JB_job_number>
      <state>hqw</state>
    </job_list>
  </job_info>
</job_info>`;

const EMPTY = `<?xml version='1.0'?>
<job_info  xmlns:xsd="http://arc.liv.ac.uk/repos/darcs/sge/source/dist/util/resources/schemas/qstat/qstat.xsd">
  <queue_info>
  </queue_info>
  <job_info>
  </job_info>
</job_info>`;

describe('parseQstatXml', () => {
  it('reads running, transferring, pending, held and error states', () => {
    const snapshot = new QueueSnapshot(parseQstatXml(XML));
    expect(snapshot.find('51.1')).toMatchObject({ state: 'r', started: true, error: false });
    expect(snapshot.find('60')).toMatchObject({ state: 't', started: true });
    expect(snapshot.find('51.4')).toMatchObject({ state: 'qw', started: false });
    expect(snapshot.find('51.8')).toMatchObject({ state: 'qw' });
    expect(snapshot.find('52')).toMatchObject({ state: 'Eqw', started: false, error: true });
    expect(snapshot.find('53')).toMatchObject({ state: 'hqw', started: false, error: false });
  });

  it('does not list tasks or jobs that have left qstat', () => {
    const snapshot = new QueueSnapshot(parseQstatXml(XML));
    expect(snapshot.find('51.2')).toBeUndefined();
    expect(snapshot.find('51.7')).toBeUndefined();
    expect(snapshot.find('99')).toBeUndefined();
    expect(new QueueSnapshot(parseQstatXml(EMPTY)).find('51')).toBeUndefined();
  });

  it('refuses output that is not a qstat document (the poll then counts as failed)', () => {
    expect(() => parseQstatXml('error: commlib error: got select error (Connection refused)')).toThrow(/job_info/);
  });
});

describe('TaskSet', () => {
  it('reads single ids, ranges with steps and lists', () => {
    const set = new TaskSet('1,3-9:3,20-22');
    expect([1, 2, 3, 6, 9, 10, 20, 21, 22, 23].map((t) => set.has(t))).toEqual([true, false, true, true, true, false, true, true, true, false]);
  });
});
