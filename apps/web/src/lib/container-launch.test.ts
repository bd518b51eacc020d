import { describe, expect, it } from "vitest";
import { containerLaunchInput, parseCommandText, parseEnvText } from "./container-launch.ts";

describe("the launch form's container fields", () => {
  it("reads the command one argument per line, as argv (no shell splitting)", () => {
    expect(parseCommandText("sh\n-c\necho $HOME; ls -l\n\n")).toEqual({
      ok: true,
      value: ["sh", "-c", "echo $HOME; ls -l"],
    });
    expect(parseCommandText("  \n")).toEqual({ ok: true, value: undefined });
    expect(parseCommandText(Array.from({ length: 65 }, () => "x").join("\n"))).toMatchObject({ ok: false });
  });

  it("reads NAME=value lines, keeps a value as typed, and names the line at fault", () => {
    expect(parseEnvText("# comment\nA=1\nURL=https://x/?a=b \n")).toEqual({
      ok: true,
      value: { A: "1", URL: "https://x/?a=b " },
    });
    expect(parseEnvText("A=1\n2BAD=x")).toMatchObject({ ok: false, error: expect.stringContaining("line 2, 2BAD") });
    expect(parseEnvText("A=1\nA=2")).toMatchObject({ ok: false, error: expect.stringContaining("A is set twice") });
    expect(parseEnvText("NOVALUE")).toMatchObject({ ok: false, error: expect.stringContaining("not NAME=value") });
  });

  it("gives the launch input only what was filled in", () => {
    const f = new FormData();
    f.set("commandText", "sleep\n1000");
    f.set("envText", "");
    expect(containerLaunchInput(f)).toEqual({ ok: true, value: { command: ["sleep", "1000"] } });
  });
});
