// Original file: proto/task.proto

import type { Long } from '@grpc/proto-loader';

/**
 * A task attempt the worker is running (or finished but has not yet reported).
 */
export interface RunningTask {
  'task_id'?: (string);
  'attempt'?: (number);
  'started_at_ms'?: (number | string | Long);
}

/**
 * A task attempt the worker is running (or finished but has not yet reported).
 */
export interface RunningTask__Output {
  'task_id': (string);
  'attempt': (number);
  'started_at_ms': (number);
}
