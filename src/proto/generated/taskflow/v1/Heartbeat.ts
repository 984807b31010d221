// Original file: proto/task.proto

import type { RunningTask as _taskflow_v1_RunningTask, RunningTask__Output as _taskflow_v1_RunningTask__Output } from '../../taskflow/v1/RunningTask';

export interface Heartbeat {
  'running'?: (_taskflow_v1_RunningTask)[];
  /**
   * Set once the worker stops taking new tasks (SIGTERM).
   */
  'draining'?: (boolean);
}

export interface Heartbeat__Output {
  'running': (_taskflow_v1_RunningTask__Output)[];
  /**
   * Set once the worker stops taking new tasks (SIGTERM).
   */
  'draining': (boolean);
}
