import { cliEnv } from "./env.ts";
import { run } from "./run.ts";

const code = await run(process.argv.slice(2), cliEnv(), { out: (t) => console.log(t), err: (t) => console.error(t) });
process.exit(code);
