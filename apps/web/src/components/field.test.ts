import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createElement, type ReactNode } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { Field, Input, NumberInput, Select, TextArea, type FieldProps } from './field.tsx';

const noop = () => undefined;
const field = (props: Omit<FieldProps, 'children'>, control: ReactNode) =>
  createElement(Field, { ...props, children: control });

describe('Field', () => {
  test('points its label at the control and leaves the control undescribed without hint or error', () => {
    const html = renderToStaticMarkup(
      field({ id: 'f-name', label: 'Name' }, createElement(Input, { value: '', onValue: noop })),
    );
    assert.match(html, /<label for="f-name">Name<\/label>/);
    assert.match(html, /<input id="f-name" value=""\/>/);
    assert.doesNotMatch(html, /aria-describedby|aria-invalid/);
  });

  test('describes the control by its hint and its error, marks it invalid and shows the error', () => {
    const html = renderToStaticMarkup(
      field(
        { id: 'f-host', label: 'Host', hint: 'A DNS name.', error: 'Host is required.', required: true },
        createElement(Input, { value: '', onValue: noop, verbatim: true, testId: 'host' }),
      ),
    );
    assert.match(html, /aria-describedby="f-host-hint f-host-problem"/);
    assert.match(html, /aria-invalid="true"/);
    assert.match(html, /required=""/);
    assert.match(html, /autoCapitalize="off" spellCheck="false"/);
    assert.match(html, /data-testid="host"/);
    assert.match(html, /<p id="f-host-hint" class="muted small-text">A DNS name.<\/p>/);
    assert.match(html, /<p id="f-host-problem" class="field-problem">Host is required.<\/p>/);
  });

  test('wires selects, number boxes and text areas the same way, and keeps a hidden label for screen readers', () => {
    const html = renderToStaticMarkup(
      createElement(
        'div',
        null,
        field(
          { id: 'f-kind', label: 'Kind', hideLabel: true },
          createElement(Select, { value: 'a', onValue: noop }, createElement('option', { value: 'a' }, 'A')),
        ),
        field(
          { id: 'f-count', label: 'Count', error: 'Too many.' },
          createElement(NumberInput, { value: 3, onValue: noop, min: 1 }),
        ),
        field(
          { id: 'f-text', label: 'Text', className: 'span-all' },
          createElement(TextArea, { value: 'x', onValue: noop, rows: 2 }),
        ),
      ),
    );
    assert.match(html, /<label for="f-kind" class="visually-hidden">Kind<\/label><select id="f-kind">/);
    assert.match(
      html,
      /<input min="1" id="f-count" aria-describedby="f-count-problem" aria-invalid="true" type="number" value="3"\/>/,
    );
    assert.match(
      html,
      /<div class="field span-all"><label for="f-text">Text<\/label><textarea rows="2" id="f-text">x<\/textarea>/,
    );
  });

  test('refuses a control outside a field, where its label would point at nothing', () => {
    assert.throws(
      () => renderToStaticMarkup(createElement(Input, { value: '', onValue: noop })),
      /inside a <Field>/,
    );
  });
});
