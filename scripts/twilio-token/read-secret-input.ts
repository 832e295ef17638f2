// Reads one secret line without echoing it: from a terminal with echo off (any shell: no `read -s`), or from
// stdin when it is piped (`pass show twilio | npm run twilio-token -- --env prod`).

/** What the reader needs of process.stdin (a test passes a stream of its own). */
export interface SecretInput extends NodeJS.ReadableStream {
  readonly isTTY?: boolean;
  setRawMode?(mode: boolean): unknown;
}

/** The user pressed Ctrl-C or Ctrl-D at the prompt. */
export class InputAbortedError extends Error {
  constructor() {
    super('aborted: nothing was stored');
    this.name = 'InputAbortedError';
  }
}

const CTRL_C = '\u0003';
const CTRL_D = '\u0004';
const BACKSPACE = ['\u0008', '\u007f'];

/** From a TTY: raw mode, so the terminal echoes nothing; Enter ends the line, Ctrl-C aborts. */
function readFromTerminal(
  input: SecretInput,
  prompt: NodeJS.WritableStream,
  question: string,
): Promise<string> {
  prompt.write(question);
  input.setRawMode?.(true);
  input.resume();
  input.setEncoding('utf8');
  return new Promise((resolve, reject) => {
    let line = '';
    const done = (error?: Error) => {
      input.removeListener('data', onData);
      input.setRawMode?.(false);
      input.pause();
      prompt.write('\n');
      if (error) reject(error);
      else resolve(line);
    };
    const onData = (chunk: string | Buffer) => {
      for (const ch of String(chunk)) {
        if (ch === CTRL_C || (ch === CTRL_D && line === '')) return done(new InputAbortedError());
        if (ch === '\r' || ch === '\n' || ch === CTRL_D) return done();
        if (BACKSPACE.includes(ch)) line = line.slice(0, -1);
        else line += ch;
      }
    };
    input.on('data', onData);
  });
}

/** From a pipe: the first line of what is written, without its line ending. */
async function readFromPipe(input: SecretInput): Promise<string> {
  let text = '';
  for await (const chunk of input) {
    text += String(chunk);
    if (text.includes('\n')) break;
  }
  return (text.split(/\r?\n/)[0] ?? '').trim();
}

/** One secret line: prompted (no echo) on a terminal, else read from the pipe. */
export function readSecretLine(
  input: SecretInput,
  prompt: NodeJS.WritableStream,
  question: string,
): Promise<string> {
  return input.isTTY ? readFromTerminal(input, prompt, question) : readFromPipe(input);
}
