// Original file: proto/task.proto

import type { Long } from '@grpc/proto-loader';

export interface TaskStarted {
  'task_id'?: (string);
  'attempt'?: (number);
  'started_at_ms'?: (number | string | Long);
  'pid'?: (number);
  /**
   * The worker's clock when it spawned the process, in microseconds since the epoch
   * (started_at_ms has whole milliseconds only). Stored as the attempt's spawned_at;
   * 0 from workers that predate it.
   */
  'spawned_at_us'?: (number | string | Long);
}

export interface TaskStarted__Output {
  'task_id': (string);
  'attempt': (number);
  'started_at_ms': (number);
  'pid': (number);
  /**
   * The worker's clock when it spawned the process, in microseconds since the epoch
   * (started_at_ms has whole milliseconds only). Stored as the attempt's spawned_at;
   * 0 from workers that predate it.
   */
  'spawned_at_us': (number);
}
