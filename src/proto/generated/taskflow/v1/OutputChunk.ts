// Original file: proto/task.proto

import type { OutputStream as _taskflow_v1_OutputStream, OutputStream__Output as _taskflow_v1_OutputStream__Output } from '../../taskflow/v1/OutputStream';
import type { Long } from '@grpc/proto-loader';

/**
 * A run of bytes of one stream of one attempt. Fenced like every report: the
 * coordinator keeps it only while (task_id, attempt) is this worker's open attempt.
 */
export interface OutputChunk {
  'task_id'?: (string);
  'attempt'?: (number);
  'stream'?: (_taskflow_v1_OutputStream);
  /**
   * Per attempt and stream, counting up from 1 with each chunk.
   */
  'seq'?: (number | string | Long);
  /**
   * Byte offset of data[0] in the stream's whole output, dropped bytes included.
   */
  'offset'?: (number | string | Long);
  'data'?: (Buffer | Uint8Array | string);
  /**
   * Bytes the worker dropped just before this chunk (its bounded buffer was full):
   * the gap between the previous chunk's end and offset.
   */
  'dropped_bytes'?: (number | string | Long);
}

/**
 * A run of bytes of one stream of one attempt. Fenced like every report: the
 * coordinator keeps it only while (task_id, attempt) is this worker's open attempt.
 */
export interface OutputChunk__Output {
  'task_id': (string);
  'attempt': (number);
  'stream': (_taskflow_v1_OutputStream__Output);
  /**
   * Per attempt and stream, counting up from 1 with each chunk.
   */
  'seq': (number);
  /**
   * Byte offset of data[0] in the stream's whole output, dropped bytes included.
   */
  'offset': (number);
  'data': (Buffer);
  /**
   * Bytes the worker dropped just before this chunk (its bounded buffer was full):
   * the gap between the previous chunk's end and offset.
   */
  'dropped_bytes': (number);
}
