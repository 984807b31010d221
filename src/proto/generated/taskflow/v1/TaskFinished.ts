// Original file: proto/task.proto

import type { Long } from '@grpc/proto-loader';

export interface TaskFinished {
  'task_id'?: (string);
  'attempt'?: (number);
  /**
   * Exit code of the process; absent when it was killed by a signal or never started.
   */
  'exit_code'?: (number);
  /**
   * Why the attempt did not succeed ("" on success): signal, timeout, cancel, spawn error.
   */
  'error'?: (string);
  /**
   * The last 64 KiB of stdout and of stderr.
   */
  'stdout_tail'?: (Buffer | Uint8Array | string);
  'stderr_tail'?: (Buffer | Uint8Array | string);
  'started_at_ms'?: (number | string | Long);
  'finished_at_ms'?: (number | string | Long);
  '_exit_code'?: "exit_code";
}

export interface TaskFinished__Output {
  'task_id': (string);
  'attempt': (number);
  /**
   * Exit code of the process; absent when it was killed by a signal or never started.
   */
  'exit_code'?: (number);
  /**
   * Why the attempt did not succeed ("" on success): signal, timeout, cancel, spawn error.
   */
  'error': (string);
  /**
   * The last 64 KiB of stdout and of stderr.
   */
  'stdout_tail': (Buffer);
  'stderr_tail': (Buffer);
  'started_at_ms': (number);
  'finished_at_ms': (number);
  '_exit_code'?: "exit_code";
}
