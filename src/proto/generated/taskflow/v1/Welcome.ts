// Original file: proto/task.proto


export interface Welcome {
  'worker_id'?: (string);
  /**
   * Interval the coordinator expects heartbeats at.
   */
  'heartbeat_ms'?: (number);
}

export interface Welcome__Output {
  'worker_id': (string);
  /**
   * Interval the coordinator expects heartbeats at.
   */
  'heartbeat_ms': (number);
}
