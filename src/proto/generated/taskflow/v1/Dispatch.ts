// Original file: proto/task.proto

import type { Long } from '@grpc/proto-loader';

export interface Dispatch {
  'task_id'?: (string);
  'attempt'?: (number);
  'name'?: (string);
  'command'?: (string);
  'env'?: ({[key: string]: string});
  'queue'?: (string);
  /**
   * Kill the attempt past this many ms (0 = no limit).
   */
  'timeout_ms'?: (number | string | Long);
}

export interface Dispatch__Output {
  'task_id': (string);
  'attempt': (number);
  'name': (string);
  'command': (string);
  'env': ({[key: string]: string});
  'queue': (string);
  /**
   * Kill the attempt past this many ms (0 = no limit).
   */
  'timeout_ms': (number);
}
