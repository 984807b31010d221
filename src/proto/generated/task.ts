import type * as grpc from '@grpc/grpc-js';
import type { EnumTypeDefinition, MessageTypeDefinition } from '@grpc/proto-loader';

import type { Cancel as _taskflow_v1_Cancel, Cancel__Output as _taskflow_v1_Cancel__Output } from './taskflow/v1/Cancel';
import type { CoordinatorClient as _taskflow_v1_CoordinatorClient, CoordinatorDefinition as _taskflow_v1_CoordinatorDefinition } from './taskflow/v1/Coordinator';
import type { CoordinatorMessage as _taskflow_v1_CoordinatorMessage, CoordinatorMessage__Output as _taskflow_v1_CoordinatorMessage__Output } from './taskflow/v1/CoordinatorMessage';
import type { Dispatch as _taskflow_v1_Dispatch, Dispatch__Output as _taskflow_v1_Dispatch__Output } from './taskflow/v1/Dispatch';
import type { Drain as _taskflow_v1_Drain, Drain__Output as _taskflow_v1_Drain__Output } from './taskflow/v1/Drain';
import type { Heartbeat as _taskflow_v1_Heartbeat, Heartbeat__Output as _taskflow_v1_Heartbeat__Output } from './taskflow/v1/Heartbeat';
import type { HeartbeatAck as _taskflow_v1_HeartbeatAck, HeartbeatAck__Output as _taskflow_v1_HeartbeatAck__Output } from './taskflow/v1/HeartbeatAck';
import type { Hello as _taskflow_v1_Hello, Hello__Output as _taskflow_v1_Hello__Output } from './taskflow/v1/Hello';
import type { OutputChunk as _taskflow_v1_OutputChunk, OutputChunk__Output as _taskflow_v1_OutputChunk__Output } from './taskflow/v1/OutputChunk';
import type { Resume as _taskflow_v1_Resume, Resume__Output as _taskflow_v1_Resume__Output } from './taskflow/v1/Resume';
import type { RunningTask as _taskflow_v1_RunningTask, RunningTask__Output as _taskflow_v1_RunningTask__Output } from './taskflow/v1/RunningTask';
import type { TaskFinished as _taskflow_v1_TaskFinished, TaskFinished__Output as _taskflow_v1_TaskFinished__Output } from './taskflow/v1/TaskFinished';
import type { TaskOutput as _taskflow_v1_TaskOutput, TaskOutput__Output as _taskflow_v1_TaskOutput__Output } from './taskflow/v1/TaskOutput';
import type { TaskStarted as _taskflow_v1_TaskStarted, TaskStarted__Output as _taskflow_v1_TaskStarted__Output } from './taskflow/v1/TaskStarted';
import type { Welcome as _taskflow_v1_Welcome, Welcome__Output as _taskflow_v1_Welcome__Output } from './taskflow/v1/Welcome';
import type { WorkerMessage as _taskflow_v1_WorkerMessage, WorkerMessage__Output as _taskflow_v1_WorkerMessage__Output } from './taskflow/v1/WorkerMessage';

type SubtypeConstructor<Constructor extends new (...args: any) => any, Subtype> = {
  new(...args: ConstructorParameters<Constructor>): Subtype;
};

export interface ProtoGrpcType {
  taskflow: {
    v1: {
      Cancel: MessageTypeDefinition<_taskflow_v1_Cancel, _taskflow_v1_Cancel__Output>
      Coordinator: SubtypeConstructor<typeof grpc.Client, _taskflow_v1_CoordinatorClient> & { service: _taskflow_v1_CoordinatorDefinition }
      CoordinatorMessage: MessageTypeDefinition<_taskflow_v1_CoordinatorMessage, _taskflow_v1_CoordinatorMessage__Output>
      Dispatch: MessageTypeDefinition<_taskflow_v1_Dispatch, _taskflow_v1_Dispatch__Output>
      Drain: MessageTypeDefinition<_taskflow_v1_Drain, _taskflow_v1_Drain__Output>
      Heartbeat: MessageTypeDefinition<_taskflow_v1_Heartbeat, _taskflow_v1_Heartbeat__Output>
      HeartbeatAck: MessageTypeDefinition<_taskflow_v1_HeartbeatAck, _taskflow_v1_HeartbeatAck__Output>
      Hello: MessageTypeDefinition<_taskflow_v1_Hello, _taskflow_v1_Hello__Output>
      OutputChunk: MessageTypeDefinition<_taskflow_v1_OutputChunk, _taskflow_v1_OutputChunk__Output>
      OutputStream: EnumTypeDefinition
      Resume: MessageTypeDefinition<_taskflow_v1_Resume, _taskflow_v1_Resume__Output>
      RunningTask: MessageTypeDefinition<_taskflow_v1_RunningTask, _taskflow_v1_RunningTask__Output>
      TaskFinished: MessageTypeDefinition<_taskflow_v1_TaskFinished, _taskflow_v1_TaskFinished__Output>
      TaskOutput: MessageTypeDefinition<_taskflow_v1_TaskOutput, _taskflow_v1_TaskOutput__Output>
      TaskStarted: MessageTypeDefinition<_taskflow_v1_TaskStarted, _taskflow_v1_TaskStarted__Output>
      Welcome: MessageTypeDefinition<_taskflow_v1_Welcome, _taskflow_v1_Welcome__Output>
      WorkerMessage: MessageTypeDefinition<_taskflow_v1_WorkerMessage, _taskflow_v1_WorkerMessage__Output>
    }
  }
}

