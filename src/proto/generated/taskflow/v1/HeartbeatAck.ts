// Original file: proto/task.proto


/**
 * The coordinator heard a heartbeat: proof for the worker that it is not cut off.
 */
export interface HeartbeatAck {
}

/**
 * The coordinator heard a heartbeat: proof for the worker that it is not cut off.
 */
export interface HeartbeatAck__Output {
}
