/** An error the user can act on: the CLI prints its message alone, without a stack. */
export class LabError extends Error {
  override name = "LabError";
}
