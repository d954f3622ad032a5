import { ESLint } from 'eslint';
import tseslint from 'typescript-eslint';
import { describe, expect, it } from 'vitest';
import { repoRoot } from './workspaces.js';

// The repository's own config, with type information off: the probes are not files of any project,
// and the rule under test needs none.
const eslint = new ESLint({ cwd: repoRoot, overrideConfig: [tseslint.configs.disableTypeChecked] });

async function restrictedImports(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: `${repoRoot}/${filePath}` });
  return (result?.messages ?? []).filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

const apiPath = "import { VMwareAPISession } from '@vmkit/legacy/cinder/volume/drivers/vmware/api';\nexport { VMwareAPISession };\n";

describe('lint bans the legacy paths inside the repository', () => {
  it.each(['apps/cli/src/lint-probe.ts', 'packages/session/src/lint-probe.ts', 'tools/bench/src/lint-probe.ts', 'apps/legacy/src/lint-probe.ts'])(
    'in %s, naming the package to use and the warning code',
    async (file) => {
      const msgs = await restrictedImports(file, apiPath);
      expect(msgs.join('\n')).toMatch(/import from @vmkit\/session instead/);
      expect(msgs.join('\n')).toMatch(/VMKIT_LEGACY_CINDER_VOLUME_DRIVERS_VMWARE_API/);
    },
  );

  it('bans the root entry and unknown subpaths with a message naming the vmkit packages', async () => {
    for (const spec of ['@vmkit/legacy', '@vmkit/legacy/cinder/volume/drivers/vmware/nope']) {
      const msgs = await restrictedImports('apps/cli/src/lint-probe.ts', `import '${spec}';\n`);
      expect(msgs, spec).toHaveLength(1);
      expect(msgs[0]).toMatch(/import the vmkit package itself/);
    }
  });

  it('gives one message per legacy import, not two', async () => {
    expect(await restrictedImports('apps/cli/src/lint-probe.ts', apiPath)).toHaveLength(1);
  });

  it("allows them in @vmkit/legacy's own tests", async () => {
    expect(await restrictedImports('apps/legacy/src/lint-probe.test.ts', apiPath)).toEqual([]);
  });

  it('does not touch imports of the vmkit packages', async () => {
    expect(await restrictedImports('apps/cli/src/lint-probe.ts', "export { VimSession } from '@vmkit/session';\n")).toEqual([]);
  });
});
