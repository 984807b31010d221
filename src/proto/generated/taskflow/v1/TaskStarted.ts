// Original file: proto/task.proto

import type { Long } from '@grpc/proto-loader';

export interface TaskStarted {
  'task_id'?: (string);
  'attempt'?: (number);
  'started_at_ms'?: (number | string | Long);
  'pid'?: (number);
}

export interface TaskStarted__Output {
  'task_id': (string);
  'attempt': (number);
  'started_at_ms': (number);
  'pid': (number);
}
