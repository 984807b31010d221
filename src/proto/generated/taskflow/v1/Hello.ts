// Original file: proto/task.proto

import type { RunningTask as _taskflow_v1_RunningTask, RunningTask__Output as _taskflow_v1_RunningTask__Output } from '../../taskflow/v1/RunningTask';

export interface Hello {
  'name'?: (string);
  'host'?: (string);
  'concurrency'?: (number);
  'queues'?: (string)[];
  'version'?: (string);
  /**
   * Attempts still running on this worker (kept through a lost coordinator).
   */
  'running'?: (_taskflow_v1_RunningTask)[];
  /**
   * The worker id of the previous session, to resume it if it is still alive.
   */
  'previous_worker_id'?: (string);
  'pid'?: (number);
  'draining'?: (boolean);
  /**
   * What the worker advertises (--labels plus hostname, os, arch); task selectors match these.
   * Field 20: placement's own number, far from fields other changes add next.
   */
  'labels'?: ({[key: string]: string});
}

export interface Hello__Output {
  'name': (string);
  'host': (string);
  'concurrency': (number);
  'queues': (string)[];
  'version': (string);
  /**
   * Attempts still running on this worker (kept through a lost coordinator).
   */
  'running': (_taskflow_v1_RunningTask__Output)[];
  /**
   * The worker id of the previous session, to resume it if it is still alive.
   */
  'previous_worker_id': (string);
  'pid': (number);
  'draining': (boolean);
  /**
   * What the worker advertises (--labels plus hostname, os, arch); task selectors match these.
   * Field 20: placement's own number, far from fields other changes add next.
   */
  'labels': ({[key: string]: string});
}
