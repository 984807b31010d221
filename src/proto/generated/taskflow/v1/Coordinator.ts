// Original file: proto/task.proto

import type * as grpc from '@grpc/grpc-js'
import type { MethodDefinition } from '@grpc/proto-loader'
import type { CoordinatorMessage as _taskflow_v1_CoordinatorMessage, CoordinatorMessage__Output as _taskflow_v1_CoordinatorMessage__Output } from '../../taskflow/v1/CoordinatorMessage';
import type { WorkerMessage as _taskflow_v1_WorkerMessage, WorkerMessage__Output as _taskflow_v1_WorkerMessage__Output } from '../../taskflow/v1/WorkerMessage';

export interface CoordinatorClient extends grpc.Client {
  /**
   * One long-lived stream per worker. The first message up must be a Hello.
   */
  Connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_taskflow_v1_WorkerMessage, _taskflow_v1_CoordinatorMessage__Output>;
  Connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_taskflow_v1_WorkerMessage, _taskflow_v1_CoordinatorMessage__Output>;
  /**
   * One long-lived stream per worker. The first message up must be a Hello.
   */
  connect(metadata: grpc.Metadata, options?: grpc.CallOptions): grpc.ClientDuplexStream<_taskflow_v1_WorkerMessage, _taskflow_v1_CoordinatorMessage__Output>;
  connect(options?: grpc.CallOptions): grpc.ClientDuplexStream<_taskflow_v1_WorkerMessage, _taskflow_v1_CoordinatorMessage__Output>;
  
}

export interface CoordinatorHandlers extends grpc.UntypedServiceImplementation {
  /**
   * One long-lived stream per worker. The first message up must be a Hello.
   */
  Connect: grpc.handleBidiStreamingCall<_taskflow_v1_WorkerMessage__Output, _taskflow_v1_CoordinatorMessage>;
  
}

export interface CoordinatorDefinition extends grpc.ServiceDefinition {
  Connect: MethodDefinition<_taskflow_v1_WorkerMessage, _taskflow_v1_CoordinatorMessage, _taskflow_v1_WorkerMessage__Output, _taskflow_v1_CoordinatorMessage__Output>
}
