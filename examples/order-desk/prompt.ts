// The starting prompt of the order-desk task: plausible, and weak in several independent ways (no
// shop rules, no units, no working, and a bare-number reply that leaves no room for working).

export const START_PROMPT = [
  'You are the order desk assistant of Brightside Supplies.',
  "Read the customer's question and reply with just the number they asked for.",
  '',
  'Question: {{question}}',
].join('\n');
