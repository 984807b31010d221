// Original file: proto/task.proto


export interface Welcome {
  'worker_id'?: (string);
  /**
   * Interval the coordinator expects heartbeats at.
   */
  'heartbeat_ms'?: (number);
  /**
   * A worker silent this long is declared dead and its attempts retried elsewhere; a
   * worker that hears nothing from its coordinator for this long stops its attempts
   * itself, so a silent network never lets two runs of a task overlap for long.
   */
  'worker_timeout_ms'?: (number);
}

export interface Welcome__Output {
  'worker_id': (string);
  /**
   * Interval the coordinator expects heartbeats at.
   */
  'heartbeat_ms': (number);
  /**
   * A worker silent this long is declared dead and its attempts retried elsewhere; a
   * worker that hears nothing from its coordinator for this long stops its attempts
   * itself, so a silent network never lets two runs of a task overlap for long.
   */
  'worker_timeout_ms': (number);
}
