// Original file: proto/task.proto


/**
 * Take no new tasks; finish the running ones.
 */
export interface Drain {
  'reason'?: (string);
}

/**
 * Take no new tasks; finish the running ones.
 */
export interface Drain__Output {
  'reason': (string);
}
