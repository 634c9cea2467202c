// Offline checks of deploy/terraform: no Terraform binary can be installed on these machines, so this is
// what can be proven without one (README "Provision on AWS" says what is not).
import { before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { parse } from '@cdktf/hcl2json';
import { parse as parseYaml } from 'yaml';

const run = promisify(execFile);
const terraformDir = path.resolve(import.meta.dirname, '../../../deploy/terraform');

type Block = Record<string, unknown>;
type Parsed = Record<string, Record<string, Block[] | Record<string, Block[]>> | Block[]>;

const tfFiles = readdirSync(terraformDir)
  .filter((f) => f.endsWith('.tf'))
  .sort();

/** `var.x` / `local.x` names used in expressions (comments are gone after parsing, so they cannot count). */
function referenced(parsed: readonly Parsed[], prefix: 'var' | 'local'): Set<string> {
  const text = JSON.stringify(parsed);
  return new Set(
    [...text.matchAll(new RegExp(`\\b${prefix}\\.([A-Za-z_][A-Za-z0-9_-]*)`, 'g'))].map((m) => m[1] ?? ''),
  );
}

/** Terraform's templatefile() for templates that use plain `${name}` interpolations only (ours, on purpose). */
function renderTemplate(template: string, vars: Record<string, string>): string {
  assert.doesNotMatch(template, /%\{/, 'template directives would need Terraform to render');
  return template.replace(/\$\{([^}]*)\}/g, (_, name: string) => {
    assert.ok(Object.hasOwn(vars, name), `template uses \${${name}} that templatefile() is not given`);
    return vars[name] ?? '';
  });
}

describe('Terraform module (deploy/terraform), checked offline', () => {
  const parsed = new Map<string, Parsed>();

  before(async () => {
    for (const file of tfFiles)
      parsed.set(file, (await parse(file, readFileSync(path.join(terraformDir, file), 'utf8'))) as Parsed);
  });

  test('every .tf file parses as HCL (HashiCorp HCL parser compiled to WebAssembly)', () => {
    assert.ok(tfFiles.length >= 8, `found only ${tfFiles.join(', ')}`);
    assert.equal(parsed.size, tfFiles.length);
  });

  test('the parser rejects broken HCL, so a pass means something', async () => {
    await assert.rejects(parse('broken.tf', 'resource "aws_instance" "x" {\n  ami = \n'), /broken\.tf/);
  });

  test('every variable has a type and a description; every referenced variable and local exists', () => {
    const variables = new Map<string, Block>();
    const locals = new Set<string>();
    for (const body of parsed.values()) {
      for (const [name, blocks] of Object.entries((body.variable ?? {}) as Record<string, Block[]>))
        variables.set(name, blocks[0] ?? {});
      for (const block of (body.locals ?? []) as Block[])
        for (const name of Object.keys(block)) locals.add(name);
    }
    assert.ok(variables.size >= 20, `only ${variables.size} variables`);
    for (const [name, v] of variables) {
      assert.equal(typeof v.type, 'string', `variable ${name} has no type`);
      assert.ok(
        typeof v.description === 'string' && v.description.length > 10,
        `variable ${name} has no description`,
      );
    }
    const all = [...parsed.values()];
    const missingVars = [...referenced(all, 'var')].filter((n) => !variables.has(n));
    assert.deepEqual(missingVars, [], 'referenced but not declared');
    const unusedVars = [...variables.keys()].filter((n) => !referenced(all, 'var').has(n));
    assert.deepEqual(unusedVars, [], 'declared but never used');
    assert.deepEqual(
      [...referenced(all, 'local')].filter((n) => !locals.has(n)),
      [],
      'locals referenced but not defined',
    );
  });

  test('the reference check finds an undeclared variable and ignores one named only in a comment', async () => {
    const body = (await parse(
      'probe.tf',
      '# var.ghost is only mentioned here\noutput "x" {\n  value = "${var.nope}-${local.gone}"\n}\n',
    )) as Parsed;
    assert.deepEqual([...referenced([body], 'var')], ['nope']);
    assert.deepEqual([...referenced([body], 'local')], ['gone']);
  });

  test('inputs that have a safe form are validated; region, account ids, AMIs and state buckets are never hard-coded', () => {
    const variables = Object.assign({}, ...[...parsed.values()].map((b) => b.variable ?? {})) as Record<
      string,
      Block[]
    >;
    for (const name of [
      'region',
      'name',
      'platform',
      'vpc_id',
      'ssh_ingress_cidrs',
      'image_tag',
      'sign_in_allowed_accounts',
      'instance_type',
    ]) {
      assert.ok(Array.isArray(variables[name]?.[0]?.validation), `variable ${name} has no validation`);
    }
    assert.equal(variables.region?.[0]?.default, undefined, 'region must not have a default');
    assert.deepEqual(variables.ssh_ingress_cidrs?.[0]?.default, [], 'SSH must be off by default');
    for (const file of tfFiles) {
      const text = readFileSync(path.join(terraformDir, file), 'utf8');
      assert.doesNotMatch(text, /\bami-[0-9a-f]{8,17}\b/, `${file}: hard-coded AMI id`);
      assert.doesNotMatch(
        text.replace(/^\s*#.*$/gm, ''),
        /(?<![\d.])\d{12}(?![\d.])/,
        `${file}: hard-coded account id`,
      );
      assert.doesNotMatch(
        text.replace(/^\s*#.*$/gm, ''),
        /backend\s+"s3"/,
        `${file}: an active backend would hard-code a state bucket`,
      );
    }
  });

  test('the host requires IMDSv2 with one hop, encrypts its volume, and never opens SSH to the world', () => {
    const ec2 = parsed.get('ec2.tf') as { resource: { aws_instance: { host: Block[] } } };
    const host = ec2.resource.aws_instance.host[0]!;
    const metadata = (host.metadata_options as Block[])[0]!;
    assert.equal(metadata.http_tokens, 'required');
    assert.equal(metadata.http_put_response_hop_limit, 1);
    assert.equal((host.root_block_device as Block[])[0]!.encrypted, true);
    assert.match(String(host.ami), /data\.aws_ami\./);
    const security = parsed.get('security.tf') as {
      resource: { aws_vpc_security_group_ingress_rule: Record<string, Block[]> };
    };
    const rules = security.resource.aws_vpc_security_group_ingress_rule;
    assert.deepEqual(Object.keys(rules).sort(), ['http', 'https', 'ssh']);
    assert.deepEqual(
      [rules.https?.[0]?.from_port, rules.http?.[0]?.from_port, rules.ssh?.[0]?.from_port],
      [443, 80, 22],
    );
    assert.match(String(rules.ssh?.[0]?.for_each), /var\.ssh_ingress_cidrs/);
  });

  test('the host IAM policy grants no wildcard action and "*" only where AWS allows nothing narrower', () => {
    const iam = parsed.get('iam.tf') as { data: { aws_iam_policy_document: Record<string, Block[]> } };
    for (const [name, docs] of Object.entries(iam.data.aws_iam_policy_document)) {
      for (const statement of (docs[0]!.statement ?? []) as Block[]) {
        for (const action of (statement.actions ?? []) as string[])
          assert.doesNotMatch(action, /\*/, `${name}: wildcard action ${action}`);
        const resources = (statement.resources ?? []) as string[];
        if (resources.includes('*'))
          assert.deepEqual(
            statement.actions,
            ['ecr:GetAuthorizationToken'],
            `${name}: "*" resource for ${String(statement.actions)}`,
          );
      }
    }
    const text = readFileSync(path.join(terraformDir, 'iam.tf'), 'utf8');
    assert.doesNotMatch(text, /AdministratorAccess|PowerUserAccess|AmazonEC2ContainerRegistryFullAccess/);
  });

  test('the rendered user data is valid cloud-init: #cloud-config, YAML, installs and runs the bootstrap script byte for byte', () => {
    const template = readFileSync(path.join(terraformDir, 'templates/cloud-init.yaml.tftpl'), 'utf8');
    const locals = ((parsed.get('ec2.tf') as { locals: Block[] }).locals ?? []).find((l) => 'user_data' in l);
    const call = String(locals?.user_data);
    assert.match(call, /templatefile\(/);
    // The names templatefile() is given in ec2.tf are exactly the names the template uses.
    const given = [...(/, \{([\s\S]*)\}\)\}$/.exec(call)?.[1] ?? '').matchAll(/^\s*([a-z0-9_]+)\s*=/gm)]
      .map((m) => m[1])
      .sort();
    const used = [...new Set([...template.matchAll(/\$\{([^}]*)\}/g)].map((m) => m[1]))].sort();
    assert.deepEqual(given, used);

    const script = readFileSync(path.join(terraformDir, 'scripts/bootstrap.sh'));
    const env = 'ASHAPP_REPOSITORY_URL=https://example.com/ashapp.git\nASHAPP_REF=v0.1.0\n';
    const rendered = renderTemplate(template, {
      bootstrap_script_b64: script.toString('base64'),
      bootstrap_env_b64: Buffer.from(env).toString('base64'),
    });
    assert.ok(rendered.startsWith('#cloud-config\n'), 'cloud-init needs #cloud-config on the first line');
    const doc = parseYaml(rendered) as {
      write_files: Array<{ path: string; encoding: string; content: string; permissions: string }>;
      runcmd: unknown[][];
    };
    const files = new Map(doc.write_files.map((f) => [f.path, f]));
    const installed = files.get('/usr/local/sbin/ashapp-bootstrap');
    assert.equal(installed?.encoding, 'b64');
    assert.ok(
      Buffer.from(installed.content, 'base64').equals(script),
      'the script cloud-init writes is the one in the repository',
    );
    assert.equal(files.get('/etc/ashapp/bootstrap.env')?.permissions, '0600');
    assert.deepEqual(doc.runcmd, [['/usr/local/sbin/ashapp-bootstrap', '/etc/ashapp/bootstrap.env']]);
  });

  test('the bootstrap scripts pass shellcheck', async () => {
    const scripts = readdirSync(path.join(terraformDir, 'scripts'))
      .filter((f) => f.endsWith('.sh'))
      .map((f) => path.join(terraformDir, 'scripts', f));
    assert.ok(scripts.length > 0);
    const { stdout } = await run('shellcheck', ['--severity=style', '--format=gcc', ...scripts]).catch(
      (err: { stdout?: string }) => ({ stdout: err.stdout ?? String(err) }),
    );
    assert.equal(stdout, '');
  });
});
