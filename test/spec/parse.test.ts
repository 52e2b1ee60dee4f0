import { describe, expect, it } from 'vitest';
import { SpecValidationError } from '../../src/errors.js';
import { parseDocument, parseGoDuration, parseSpecText } from '../../src/spec/index.js';

const yamlSpec = `
id: web
allocation:
  size: 3
instance:
  provider: ec2
  properties:
    imageId: ami-12c6146b
    instanceType: t3.micro
flavor:
  kind: vanilla
  properties:
    init: ["echo hello"]
update:
  maxSurge: 2
`;

describe('spec text parsing', () => {
  it('parses YAML and JSON into the same validated spec', () => {
    // Prepare
    const fromYaml = parseSpecText(yamlSpec);
    // Act
    const fromJson = parseSpecText(JSON.stringify(fromYaml));
    // Assess
    expect(fromJson).toEqual(fromYaml);
    expect(fromYaml.update.maxSurge).toBe(2);
    expect(fromYaml.instance.properties).toEqual({ imageId: 'ami-12c6146b', instanceType: 't3.micro' });
  });

  it.each([
    { desc: 'malformed JSON', text: '{"id": "web",', message: /invalid JSON/ },
    { desc: 'malformed YAML', text: 'id: [web', message: /invalid YAML/ },
    { desc: 'duplicate YAML keys', text: 'id: a\nid: b', message: /invalid YAML/ },
    { desc: 'an empty document', text: '   ', message: /empty/ },
  ])('rejects $desc with a readable message', ({ text, message }) => {
    expect(() => parseDocument(text)).toThrowError(message);
    expect(() => parseDocument(text)).toThrowError(SpecValidationError);
  });

  it('rejects a document that is not an object', () => {
    expect(() => parseSpecText('- 1\n- 2')).toThrowError(SpecValidationError);
  });

  it.each([
    ['30s', 30],
    ['5m', 300],
    ['1h30m', 5400],
    ['1500ms', 2],
  ])('reads the Go duration %s as %d seconds', (text, seconds) => {
    expect(parseGoDuration(text)).toBe(seconds);
  });

  it('rejects a Go duration with junk', () => {
    expect(parseGoDuration('5 minutes')).toBeUndefined();
  });
});
