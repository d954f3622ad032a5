import { describe, expect, it } from 'vitest';
import { findPinProblems, listWorkspaces, type Workspace } from './workspaces.js';

const ws = (name: string, version: string, deps: Record<string, string> = {}): Workspace => ({
  dir: name,
  manifest: { name, version, dependencies: deps },
});

describe('internal dependency pins', () => {
  it('every internal dependency in this repository is an exact pin of the current version', () => {
    expect(findPinProblems(listWorkspaces())).toEqual([]);
  });

  it.each(['^0.1.0', '~0.1.0', '>=0.1.0', '0.1.x', '*', 'workspace:*', '0.1.1'])('rejects %s', (range) => {
    const problems = findPinProblems([ws('@vmkit/vim', '0.1.0'), ws('@vmkit/session', '0.1.0', { '@vmkit/vim': range })]);
    expect(problems).toEqual([
      { workspace: '@vmkit/session', field: 'dependencies', dependency: '@vmkit/vim', range, expected: '0.1.0' },
    ]);
  });

  it('ignores external ranges and accepts an exact internal pin', () => {
    const problems = findPinProblems([
      ws('@vmkit/vim', '0.1.0', { undici: '^7.0.0' }),
      ws('@vmkit/session', '0.1.0', { '@vmkit/vim': '0.1.0' }),
    ]);
    expect(problems).toEqual([]);
  });
});
