// TwiML for an incoming call, byte for byte what twilio-node's `twiml.VoiceResponse` writes for the
// same answer (test/unit/webhook/voice-twiml.test.ts compares them). Built here because the `twilio`
// package costs megabytes of bundle and cold start on the hot path (docs/BENCHMARKS.md).

import type { VoiceAnswer } from '../shared/voice-config.js';

const XML_DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>';

// xmlbuilder's escaping, which twilio-node uses (XMLStringifier textEscape / attEscape).
const text = (s: string) =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/\r/g, '&#xD;');
const attribute = (s: string) =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/"/g, '&quot;')
    .replace(/\t/g, '&#x9;')
    .replace(/\n/g, '&#xA;')
    .replace(/\r/g, '&#xD;');

function attributes(attrs: Record<string, string | undefined>): string {
  return Object.entries(attrs)
    .filter((entry): entry is [string, string] => entry[1] !== undefined)
    .map(([name, value]) => ` ${name}="${attribute(value)}"`)
    .join('');
}

/** The `<Response>` document that answers a call. */
export function voiceTwiml(answer: VoiceAnswer): string {
  switch (answer.kind) {
    case 'stream': {
      const parameters = Object.entries(answer.parameters)
        .map(([name, value]) => `<Parameter${attributes({ name, value })}/>`)
        .join('');
      const stream = parameters
        ? `<Stream${attributes({ url: answer.url })}>${parameters}</Stream>`
        : `<Stream${attributes({ url: answer.url })}/>`;
      return `${XML_DECLARATION}<Response><Connect>${stream}</Connect></Response>`;
    }
    case 'say':
      return `${XML_DECLARATION}<Response><Say${attributes({ voice: answer.voice, language: answer.language })}>${text(answer.text)}</Say><Hangup/></Response>`;
    case 'reject':
      return `${XML_DECLARATION}<Response><Reject${attributes({ reason: answer.reason })}/></Response>`;
  }
}
