// Original file: proto/task.proto


/**
 * Stop an attempt: cancelled by a user, or no longer current (fenced).
 */
export interface Cancel {
  'task_id'?: (string);
  'attempt'?: (number);
  'reason'?: (string);
}

/**
 * Stop an attempt: cancelled by a user, or no longer current (fenced).
 */
export interface Cancel__Output {
  'task_id': (string);
  'attempt': (number);
  'reason': (string);
}
