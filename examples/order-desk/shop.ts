// The rules of the (fictional) Brightside Supplies order desk: what the task's expected answers
// follow and what a prompt has to tell the model, because no model could know them otherwise.

/** Money answers are wanted in cents, although questions quote dollars. */
export const MONEY_UNIT = 'cents';
/** Durations are wanted in minutes, although questions quote hours. */
export const TIME_UNIT = 'minutes';
/** Any item ordered in a quantity of at least this many gets the bulk discount on its line. */
export const BULK_MIN_QTY = 10;
/** Percent off a line that qualifies for the bulk discount. */
export const BULK_PERCENT = 10;

/**
 * A prompt that states every rule, asks for the working and ends with the marked answer line: the
 * best prompt known for this task (the simulated model still slips now and then under it).
 */
export const REFERENCE_PROMPT = [
  'You are the order desk assistant of Brightside Supplies.',
  `Shop rules: any item ordered in a quantity of ${BULK_MIN_QTY} or more gets ${BULK_PERCENT}% off that item's line.`,
  'Questions quote prices in dollars, but give money amounts in cents.',
  'Give durations in minutes.',
  'Partial boxes count as full boxes, so round box counts up.',
  'Work through the question step by step, writing each calculation, and double-check the arithmetic.',
  'End with a final line of the form "Answer: <integer>".',
  '',
  'Question: {{question}}',
].join('\n');
