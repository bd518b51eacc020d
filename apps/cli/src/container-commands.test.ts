import { describe, expect, it } from "vitest";
import { parseArgs, UsageError } from "./args.ts";
import { containerLaunchFields } from "./container-commands.ts";

const fields = (argv: string[]) => containerLaunchFields(parseArgs(argv, new Set()));

describe("a container's command and environment on the command line", () => {
  it("takes the words after -- as argv, or --command as a JSON array, never a shell string", () => {
    expect(fields(["--name", "x", "--", "sh", "-c", "echo $A; ls"])).toEqual({ command: ["sh", "-c", "echo $A; ls"] });
    expect(fields(["--command", '["sleep","10"]'])).toEqual({ command: ["sleep", "10"] });
    expect(() => fields(["--command", "sleep 10"])).toThrow(/JSON array/);
    expect(() => fields(["--command", '["a"]', "--", "b"])).toThrow(UsageError);
  });

  it("takes --env NAME=VALUE repeated, values as given (= included)", () => {
    expect(fields(["--env", "A=1", "--env", "URL=http://x/?a=b"])).toEqual({ env: { A: "1", URL: "http://x/?a=b" } });
    expect(() => fields(["--env", "NOVALUE"])).toThrow(/NAME=VALUE/);
    expect(() => fields(["--env", "A=1", "--env", "A=2"])).toThrow(/given twice/);
  });
});
