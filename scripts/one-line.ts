/** An error as the one line a command prints when it fails. */
export function oneLine(error: unknown): string {
  // Connecting to `localhost` fails with an AggregateError whose own message is empty.
  const message =
    error instanceof AggregateError && !error.message
      ? error.errors.map(oneLine).join('; ')
      : error instanceof Error
        ? error.message || error.name
        : String(error);
  return message.replace(/\s*\n\s*/g, ' ');
}
