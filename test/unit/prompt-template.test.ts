// Prompt templates (mustache, strict, unescaped) and the per-kind content validators of versioned resources.
import { describe, expect, it } from 'vitest';
import {
  MissingVariablesError,
  parseNewVersion,
  parseResourceContent,
  renderPrompt,
  resourceEtag,
  resourceText,
  ResourceValidationError,
  TemplateError,
  templatePlaceholders,
  templateVariables,
} from '../../schemas/resources.js';

describe('renderPrompt', () => {
  it('fills {{variables}} without HTML escaping', () => {
    expect(renderPrompt('Hello {{name}}, solve: {{task}}', { name: 'Ada', task: 'a < b && "c"' })).toBe('Hello Ada, solve: a < b && "c"');
    expect(renderPrompt('{{{raw}}} {{&amp}}', { raw: '<b>', amp: '&' })).toBe('<b> &');
  });

  it('reads dotted paths, loops over lists, and takes false/0/empty values as given', () => {
    const t = 'User {{user.name}} ({{user.age}}).{{#examples}}\n- {{q}} => {{a}}{{/examples}}{{^premium}}\nfree tier{{/premium}} [{{note}}]';
    const out = renderPrompt(t, {
      user: { name: 'Ada', age: 0 },
      examples: [
        { q: '1+1', a: '2' },
        { q: '2+2', a: '4' },
      ],
      premium: false,
      note: '',
    });
    expect(out).toBe('User Ada (0).\n- 1+1 => 2\n- 2+2 => 4\nfree tier []');
  });

  it('names every missing variable at once (strict)', () => {
    let err: unknown;
    try {
      renderPrompt('{{greeting}} {{name}}, {{user.city}}: {{task}}', { name: 'Ada', user: {} });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MissingVariablesError);
    expect((err as MissingVariablesError).missing).toEqual(['greeting', 'user.city', 'task']);
    expect((err as Error).message).toBe('missing template variables: greeting, user.city, task');
    expect(() => renderPrompt('{{#items}}{{label}}{{/items}}', { items: [{ label: 'a' }, {}] })).toThrow('missing template variable: label');
  });

  it('looks names up in enclosing sections, but never on the prototype chain', () => {
    expect(renderPrompt('{{#items}}{{prefix}}{{.}} {{/items}}', { prefix: '#', items: ['a', 'b'] })).toBe('#a #b ');
    expect(() => renderPrompt('{{constructor}} {{toString}}', {})).toThrow('missing template variables: constructor, toString');
  });

  it('rejects broken templates and partials with a clear error', () => {
    expect(() => renderPrompt('Hi {{#x}} there', { x: true })).toThrow(TemplateError);
    expect(() => renderPrompt('Hi {{#x}} there', { x: true })).toThrow(/invalid template: Unclosed section "x"/);
    expect(() => renderPrompt('Hi {{name', { name: 'a' })).toThrow(/invalid template: Unclosed tag/);
    expect(() => renderPrompt('{{> header}} body', {})).toThrow('partials are not supported in prompt templates ({{> header}})');
  });

  it('renders the same text whatever templates rendered before (no shared cache state)', () => {
    for (let i = 0; i < 3; i++) expect(renderPrompt(`n=${i} {{v}}`, { v: i })).toBe(`n=${i} ${i}`);
  });
});

describe('templateVariables', () => {
  it('lists placeholders in order of first appearance, each once, sections included, comments and "." not', () => {
    const t = '{{! a comment }}Hi {{name}}, {{user.city}}.{{#items}}{{title}}: {{.}} {{name}}{{/items}}{{^premium}}{{{ad}}}{{/premium}} {{name}}';
    expect(templateVariables(t)).toEqual(['name', 'user.city', 'items', 'title', 'premium', 'ad']);
    expect(templateVariables('no placeholders')).toEqual([]);
  });

  it('tells variables, sections and inverted sections apart, with their nesting', () => {
    expect(templatePlaceholders('{{a}}{{#s}}{{b}}{{^t}}{{c}}{{/t}}{{/s}}')).toEqual([
      { name: 'a', kind: 'variable', within: [] },
      { name: 's', kind: 'section', within: [] },
      { name: 'b', kind: 'variable', within: ['s'] },
      { name: 't', kind: 'inverted', within: ['s'] },
      { name: 'c', kind: 'variable', within: ['s', 't'] },
    ]);
  });

  it('follows a changed delimiter, and throws on a broken template', () => {
    expect(templateVariables('{{=<% %>=}}Hello <% name %> and {{literal}}')).toEqual(['name']);
    expect(() => templateVariables('{{#open}}')).toThrow(TemplateError);
  });
});

describe('resource content validation', () => {
  const fieldError = (fn: () => unknown): string => {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(ResourceValidationError);
      return (err as Error).message;
    }
    throw new Error('expected a validation error');
  };

  it('prompt_template: a bare string becomes {template}; messages are templates too', () => {
    expect(parseResourceContent('prompt_template', 'Hi {{name}}')).toEqual({ template: 'Hi {{name}}' });
    const messages = {
      messages: [
        { role: 'system', content: 'You are {{persona}}.' },
        { role: 'user', content: '{{question}}' },
      ],
    };
    expect(parseResourceContent('prompt_template', messages)).toEqual(messages);
    expect(resourceText('prompt_template', messages)).toBe('[system]\nYou are {{persona}}.\n\n[user]\n{{question}}');
    expect(fieldError(() => parseResourceContent('prompt_template', ''))).toBe('content.template: must not be empty');
    expect(fieldError(() => parseResourceContent('prompt_template', { messages: [{ role: 'user', content: '{{#a}}' }] }))).toMatch(
      /^content\.messages\.0\.content: invalid template: Unclosed section "a"/,
    );
    expect(fieldError(() => parseResourceContent('prompt_template', { template: 'a', messages: [] }))).toMatch(
      /^content\.messages: must hold at least one message/,
    );
    expect(fieldError(() => parseResourceContent('prompt_template', { template: 'a', engine: 'jinja' }))).toBe('content: Unrecognized key: "engine"');
  });

  it('llm: endpoint, model and sampling parameters, with the offending field named', () => {
    const ok = {
      endpoint: 'http://127.0.0.1:8000/v1',
      model: 'qwen2.5-7b',
      sampling: { temperature: 0.7, top_p: 0.9, max_tokens: 512 },
      api_key_env: 'OPENAI_API_KEY',
    };
    expect(parseResourceContent('llm', ok)).toEqual(ok);
    expect(fieldError(() => parseResourceContent('llm', { ...ok, endpoint: 'ftp://x' }))).toBe('content.endpoint: must be an http(s) URL');
    expect(fieldError(() => parseResourceContent('llm', { endpoint: 'http://x' }))).toMatch(/^content\.model: /);
    expect(fieldError(() => parseResourceContent('llm', { ...ok, sampling: { temperature: 3 } }))).toMatch(/^content\.sampling\.temperature: Too big/);
    expect(fieldError(() => parseResourceContent('llm', { ...ok, sampling: { temprature: 1 } }))).toBe('content.sampling: Unrecognized key: "temprature"');
    expect(fieldError(() => parseResourceContent('llm', { ...ok, api_key_env: 'sk-secret value' }))).toMatch(
      /^content\.api_key_env: must be an environment variable name/,
    );
  });

  it('model: a checkpoint or an adapter (which needs its base model)', () => {
    expect(parseResourceContent('model', { type: 'checkpoint', uri: 's3://ckpt/step-100', step: 100 })).toEqual({
      type: 'checkpoint',
      uri: 's3://ckpt/step-100',
      step: 100,
    });
    expect(fieldError(() => parseResourceContent('model', { type: 'adapter', uri: '/lora/a' }))).toBe('content.base_model: an adapter needs base_model');
    expect(fieldError(() => parseResourceContent('model', { type: 'weights', uri: 'x' }))).toMatch(/^content\.type: /);
  });

  it('json: any JSON value', () => {
    expect(parseResourceContent('json', { a: [1, 'x', null, { b: true }] })).toEqual({ a: [1, 'x', null, { b: true }] });
    expect(parseResourceContent('json', 42)).toBe(42);
  });

  it('a new-version body names the field that is wrong', () => {
    expect(parseNewVersion({ kind: 'json', content: { a: 1 }, labels: ['production', 'production'], metrics: { acc: 0.5 } })).toEqual({
      kind: 'json',
      content: { a: 1 },
      parent: null,
      metrics: { acc: 0.5 },
      labels: ['production'],
      author: null,
    });
    expect(fieldError(() => parseNewVersion({ content: 'x' }))).toMatch(/^kind: /);
    expect(fieldError(() => parseNewVersion({ kind: 'json' }))).toBe('content: is required');
    expect(fieldError(() => parseNewVersion({ kind: 'json', content: 1, metrics: { acc: 'high' } }))).toMatch(/^metrics\.acc: /);
    expect(fieldError(() => parseNewVersion({ kind: 'json', content: 1, labels: ['bad label'] }))).toMatch(/^labels\.0: must be 1 to 64 characters/);
    expect(fieldError(() => parseNewVersion({ kind: 'json', content: 1, parent: 0 }))).toBe('parent: must be 1 or more');
    expect(fieldError(() => parseNewVersion({ kind: 'json', content: 1, colour: 'red' }))).toBe('body: Unrecognized key: "colour"');
    expect(fieldError(() => parseNewVersion(null))).toMatch(/^body: /);
  });

  it('the ETag changes with the version and with the labels on it', () => {
    expect(resourceEtag({ name: 'p', version: 3, labels: [] })).toBe('"p@3"');
    expect(resourceEtag({ name: 'p', version: 3, labels: ['production', 'candidate'] })).toBe('"p@3;candidate,production"');
  });
});
