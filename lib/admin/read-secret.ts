// Reads one secret line: from a pipe as is, or at a terminal without echo
// (readline with an output that swallows what is typed).
import { createInterface } from "node:readline";
import { Writable } from "node:stream";

export async function readSecret(
  input: NodeJS.ReadStream,
  prompt: NodeJS.WriteStream,
  question: string,
): Promise<string> {
  if (!input.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of input) chunks.push(Buffer.from(chunk as Buffer));
    // One trailing newline (echo, a here-string) is not part of the password.
    return Buffer.concat(chunks)
      .toString("utf8")
      .replace(/\r?\n$/, "");
  }
  prompt.write(question);
  const silent = new Writable({ write: (_chunk, _encoding, done) => done() });
  const lines = createInterface({ input, output: silent, terminal: true });
  try {
    return await new Promise<string>((resolve) => lines.question("", resolve));
  } finally {
    lines.close();
    prompt.write("\n");
  }
}
