// Original file: proto/task.proto

import type { Hello as _taskflow_v1_Hello, Hello__Output as _taskflow_v1_Hello__Output } from '../../taskflow/v1/Hello';
import type { Heartbeat as _taskflow_v1_Heartbeat, Heartbeat__Output as _taskflow_v1_Heartbeat__Output } from '../../taskflow/v1/Heartbeat';
import type { TaskStarted as _taskflow_v1_TaskStarted, TaskStarted__Output as _taskflow_v1_TaskStarted__Output } from '../../taskflow/v1/TaskStarted';
import type { TaskFinished as _taskflow_v1_TaskFinished, TaskFinished__Output as _taskflow_v1_TaskFinished__Output } from '../../taskflow/v1/TaskFinished';
import type { TaskOutput as _taskflow_v1_TaskOutput, TaskOutput__Output as _taskflow_v1_TaskOutput__Output } from '../../taskflow/v1/TaskOutput';

export interface WorkerMessage {
  'hello'?: (_taskflow_v1_Hello | null);
  'heartbeat'?: (_taskflow_v1_Heartbeat | null);
  'started'?: (_taskflow_v1_TaskStarted | null);
  'finished'?: (_taskflow_v1_TaskFinished | null);
  'output'?: (_taskflow_v1_TaskOutput | null);
  'body'?: "hello"|"heartbeat"|"started"|"finished"|"output";
}

export interface WorkerMessage__Output {
  'hello'?: (_taskflow_v1_Hello__Output | null);
  'heartbeat'?: (_taskflow_v1_Heartbeat__Output | null);
  'started'?: (_taskflow_v1_TaskStarted__Output | null);
  'finished'?: (_taskflow_v1_TaskFinished__Output | null);
  'output'?: (_taskflow_v1_TaskOutput__Output | null);
  'body'?: "hello"|"heartbeat"|"started"|"finished"|"output";
}
