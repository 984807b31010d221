// Original file: proto/task.proto

import type { OutputChunk as _taskflow_v1_OutputChunk, OutputChunk__Output as _taskflow_v1_OutputChunk__Output } from '../../taskflow/v1/OutputChunk';

/**
 * Output of running attempts as it is written, batched (about every 50 ms or 32 KiB)
 * so a chatty task costs few messages. Sent before the attempt's TaskFinished.
 */
export interface TaskOutput {
  'chunks'?: (_taskflow_v1_OutputChunk)[];
}

/**
 * Output of running attempts as it is written, batched (about every 50 ms or 32 KiB)
 * so a chatty task costs few messages. Sent before the attempt's TaskFinished.
 */
export interface TaskOutput__Output {
  'chunks': (_taskflow_v1_OutputChunk__Output)[];
}
