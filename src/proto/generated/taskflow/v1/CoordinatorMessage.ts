// Original file: proto/task.proto

import type { Welcome as _taskflow_v1_Welcome, Welcome__Output as _taskflow_v1_Welcome__Output } from '../../taskflow/v1/Welcome';
import type { Dispatch as _taskflow_v1_Dispatch, Dispatch__Output as _taskflow_v1_Dispatch__Output } from '../../taskflow/v1/Dispatch';
import type { Cancel as _taskflow_v1_Cancel, Cancel__Output as _taskflow_v1_Cancel__Output } from '../../taskflow/v1/Cancel';
import type { Drain as _taskflow_v1_Drain, Drain__Output as _taskflow_v1_Drain__Output } from '../../taskflow/v1/Drain';
import type { HeartbeatAck as _taskflow_v1_HeartbeatAck, HeartbeatAck__Output as _taskflow_v1_HeartbeatAck__Output } from '../../taskflow/v1/HeartbeatAck';
import type { Resume as _taskflow_v1_Resume, Resume__Output as _taskflow_v1_Resume__Output } from '../../taskflow/v1/Resume';

export interface CoordinatorMessage {
  'welcome'?: (_taskflow_v1_Welcome | null);
  'dispatch'?: (_taskflow_v1_Dispatch | null);
  'cancel'?: (_taskflow_v1_Cancel | null);
  'drain'?: (_taskflow_v1_Drain | null);
  'heartbeat_ack'?: (_taskflow_v1_HeartbeatAck | null);
  'resume'?: (_taskflow_v1_Resume | null);
  'body'?: "welcome"|"dispatch"|"cancel"|"drain"|"heartbeat_ack"|"resume";
}

export interface CoordinatorMessage__Output {
  'welcome'?: (_taskflow_v1_Welcome__Output | null);
  'dispatch'?: (_taskflow_v1_Dispatch__Output | null);
  'cancel'?: (_taskflow_v1_Cancel__Output | null);
  'drain'?: (_taskflow_v1_Drain__Output | null);
  'heartbeat_ack'?: (_taskflow_v1_HeartbeatAck__Output | null);
  'resume'?: (_taskflow_v1_Resume__Output | null);
  'body'?: "welcome"|"dispatch"|"cancel"|"drain"|"heartbeat_ack"|"resume";
}
