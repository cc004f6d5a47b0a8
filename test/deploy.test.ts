/**
 * Deploying: the deployer account infra/bootstrap.sh makes (run here against a stand-in
 * for `gcloud` that records every call, since there is no cloud account here), its roles
 * against what infra/*.tf creates, cloudbuild.yaml (runs as that account, logs, one state
 * per stack, no install scripts) and the commands docs/deploy.md shows.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { infraFiles, usedTypes } from '../infra/provider-schema';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const hcl2json = require('@cdktf/hcl2json') as {
  parse(filename: string, contents: string): Promise<Record<string, unknown>>;
};

const ROOT = join(__dirname, '..');
const BOOTSTRAP = join(ROOT, 'infra', 'bootstrap.sh');
const bootstrapText = readFileSync(BOOTSTRAP, 'utf8');
const cloudbuild = readFileSync(join(ROOT, 'cloudbuild.yaml'), 'utf8');

/** A bash array of bootstrap.sh, e.g. DEPLOYER_ROLES=( … ). */
function bashArray(name: string): string[] {
  const match = new RegExp(`^${name}=\\(([^)]*)\\)`, 'm').exec(bootstrapText);
  if (!match) throw new Error(`infra/bootstrap.sh has no ${name}=( … )`);
  return match[1]
    .split('\n')
    .map((line) => line.replace(/#.*/, '').trim())
    .flatMap((line) => line.split(/\s+/))
    .filter(Boolean);
}

/** The roles infra/*.tf grants at project level (google_project_iam_member). */
async function projectLevelRoles(): Promise<string[]> {
  const roles = new Set<string>();
  for (const file of infraFiles()) {
    const parsed = (await hcl2json.parse(file.name, file.text)) as {
      resource?: Record<string, Record<string, { role: string }[]>>;
    };
    for (const bodies of Object.values(parsed.resource?.google_project_iam_member ?? {}))
      roles.add(bodies[0].role);
  }
  return [...roles].sort();
}

/**
 * The role the deployer needs to create each kind of resource. A type that is not here
 * fails the test below: add the role the deployer needs for it to DEPLOYER_ROLES in
 * infra/bootstrap.sh (and to infra/README.md, "Deployer"), and a line here.
 */
const ROLE_FOR_TYPE: [RegExp, string][] = [
  [/^google_project_service(_identity)?$/, 'roles/serviceusage.serviceUsageAdmin'],
  [/^google_storage_/, 'roles/storage.admin'],
  [/^google_pubsub_/, 'roles/pubsub.admin'],
  [/^google_cloudfunctions2_function$/, 'roles/cloudfunctions.developer'],
  [/^google_cloud_run_(v2_)?service_iam_member$/, 'roles/run.admin'],
  [/^google_artifact_registry_/, 'roles/artifactregistry.admin'],
  [/^google_service_account(_iam_member)?$/, 'roles/iam.serviceAccountAdmin'],
  [/^google_project_iam_custom_role$/, 'roles/iam.roleAdmin'],
  [/^google_project_iam_member$/, 'roles/resourcemanager.projectIamAdmin'],
  [/^google_logging_metric$/, 'roles/logging.configWriter'],
  [/^google_monitoring_alert_policy$/, 'roles/monitoring.alertPolicyEditor'],
  [/^google_monitoring_notification_channel$/, 'roles/monitoring.notificationChannelEditor'],
  [/^google_monitoring_dashboard$/, 'roles/monitoring.dashboardEditor'],
  [/^google_cloud_scheduler_job$/, 'roles/cloudscheduler.admin'],
  // On the billing account, not the project: given by its administrator (infra/README.md).
  [/^google_billing_budget$/, 'billing account'],
  [/^time_/, 'none'],
];

describe('the deployer account', () => {
  test('bootstrap.sh gives the deployer a role for every kind of resource infra/*.tf creates, and no other', async () => {
    const roles = bashArray('DEPLOYER_ROLES');
    const needed = new Set<string>();
    const unknown: string[] = [];
    for (const { kind, type } of await usedTypes(infraFiles())) {
      if (kind !== 'resource') continue;
      const role = ROLE_FOR_TYPE.find(([pattern]) => pattern.test(type))?.[1];
      if (!role) unknown.push(type);
      else needed.add(role);
    }
    expect(unknown).toEqual([]);
    for (const role of needed) {
      if (['billing account', 'none'].includes(role)) continue;
      // Project IAM Admin is granted apart, with a condition (next test).
      if (role === 'roles/resourcemanager.projectIamAdmin') continue;
      expect(roles).toContain(role);
    }
    // Nothing more, but writing the build's own log.
    expect(roles.filter((role) => !needed.has(role))).toEqual(['roles/logging.logWriter']);
    expect(roles).not.toContain('roles/resourcemanager.projectIamAdmin');
    expect(roles).not.toContain('roles/owner');
    expect(roles).not.toContain('roles/editor');
  });

  test('the deployer may grant at project level exactly the roles infra/*.tf grants there', async () => {
    expect(bashArray('GRANTABLE_ROLES').sort()).toEqual(await projectLevelRoles());
  });

  describe('bootstrap.sh, run against a recording gcloud', () => {
    let dir: string;
    const run = (
      exists: boolean,
      ...args: string[]
    ): { status: number | null; calls: string[]; stderr: string } => {
      const log = join(dir, `calls-${exists}.log`);
      writeFileSync(log, '');
      const result = spawnSync('bash', [BOOTSTRAP, ...args], {
        encoding: 'utf8',
        env: {
          ...process.env,
          PATH: `${dir}:${process.env.PATH}`,
          GCLOUD_LOG: log,
          GCLOUD_EXISTS: exists ? '1' : '',
        },
      });
      return {
        status: result.status,
        calls: readFileSync(log, 'utf8').split('\n').filter(Boolean),
        stderr: result.stderr,
      };
    };

    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'memegen-bootstrap-'));
      // Records its arguments (and the condition file it is given); "describe" fails
      // unless GCLOUD_EXISTS, as for a project where nothing exists yet.
      writeFileSync(
        join(dir, 'gcloud'),
        `#!/bin/sh
echo "$*" >> "$GCLOUD_LOG"
for arg in "$@"; do
  case "$arg" in --condition-from-file=*) echo "condition: $(tr -d '\\n' < "\${arg#--condition-from-file=}")" >> "$GCLOUD_LOG" ;; esac
done
case "$*" in
  *"config get-value account"*) echo me@example.com ;;
  *" describe "*) [ -n "$GCLOUD_EXISTS" ] || exit 1 ;;
esac
exit 0
`,
      );
      chmodSync(join(dir, 'gcloud'), 0o755);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    test('on a new project: the state bucket, the deployer with its roles, the conditional project IAM, and you may build as it', async () => {
      const { status, calls, stderr } = run(false, 'my-project', 'europe-west1', 'stack2');
      expect({ status, stderr }).toEqual({ status: 0, stderr: '' });
      const deployer = 'stack2-deployer@my-project.iam.gserviceaccount.com';
      expect(calls).toContain(
        '--project=my-project --quiet storage buckets create gs://my-project-memegen-tfstate --location=europe-west1 --uniform-bucket-level-access --public-access-prevention',
      );
      expect(calls).toContain(
        '--project=my-project --quiet storage buckets update gs://my-project-memegen-tfstate --versioning',
      );
      expect(
        calls.some((c) =>
          c.startsWith('--project=my-project --quiet iam service-accounts create stack2-deployer '),
        ),
      ).toBe(true);
      const granted = calls
        .map(
          (c) =>
            new RegExp(
              `projects add-iam-policy-binding my-project --member=serviceAccount:${deployer} --role=(\\S+) --condition=None$`,
            ).exec(c)?.[1],
        )
        .filter(Boolean);
      expect(granted).toEqual(bashArray('DEPLOYER_ROLES'));
      expect(calls).toContain(
        `--project=my-project --quiet projects add-iam-policy-binding my-project --member=serviceAccount:${deployer} --role=roles/resourcemanager.projectIamAdmin --condition-from-file=${calls.find((c) => c.includes('projectIamAdmin'))!.split('--condition-from-file=')[1]}`,
      );
      const condition = JSON.parse(
        calls.find((c) => c.startsWith('condition: '))!.slice('condition: '.length),
      ) as {
        expression: string;
        title: string;
      };
      expect(condition.expression).toBe(
        `api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${(await projectLevelRoles()).map((r) => `'${r}'`).join(', ')}])`,
      );
      expect(calls).toContain(
        `--project=my-project --quiet iam service-accounts add-iam-policy-binding ${deployer} --member=user:me@example.com --role=roles/iam.serviceAccountUser`,
      );
    });

    test('run again where everything exists: nothing is created twice', () => {
      const { status, calls } = run(true, 'my-project');
      expect(status).toBe(0);
      expect(calls.filter((c) => / create /.test(c))).toEqual([]);
      // The defaults: us-central1, memegen.
      expect(
        calls.some((c) =>
          c.includes('--member=serviceAccount:memegen-deployer@my-project.iam.gserviceaccount.com'),
        ),
      ).toBe(true);
    });

    test('without a project it prints its usage and changes nothing', () => {
      const { status, calls, stderr } = run(false);
      expect(status).toBe(2);
      expect(stderr).toContain('usage: infra/bootstrap.sh PROJECT_ID [REGION] [NAME_PREFIX]');
      expect(calls).toEqual([]);
    });
  });
});

describe('cloudbuild.yaml', () => {
  test('runs as the stack deployer bootstrap.sh makes, with its logs in Cloud Logging', () => {
    expect(cloudbuild).toMatch(
      /^serviceAccount: projects\/\$\{PROJECT_ID\}\/serviceAccounts\/\$\{_NAME_PREFIX\}-deployer@\$\{PROJECT_ID\}\.iam\.gserviceaccount\.com$/m,
    );
    expect(bootstrapText).toContain('DEPLOYER_ID="$PREFIX-deployer"');
    expect(cloudbuild).toMatch(/^options:\n(?: {2}.*\n)*? {2}logging: CLOUD_LOGGING_ONLY$/m);
    // Terraform may then let it act as the accounts it deploys.
    expect(cloudbuild).toContain(
      '-var=deployer_service_account=${_NAME_PREFIX}-deployer@${PROJECT_ID}.iam.gserviceaccount.com',
    );
  });

  test('keeps one state per stack: the backend prefix is the name prefix', () => {
    expect(cloudbuild).toContain('-backend-config=prefix=${_NAME_PREFIX}');
    expect(cloudbuild).toContain('-backend-config=bucket=${_TF_STATE_BUCKET}');
    expect(cloudbuild).toContain('-var=name_prefix=${_NAME_PREFIX}');
  });

  test('installs without running any package install script, then builds', () => {
    expect(cloudbuild).toContain('args: [ci, --no-audit, --no-fund, --ignore-scripts]');
    expect(cloudbuild.indexOf('args: [run, build]')).toBeGreaterThan(cloudbuild.indexOf('--ignore-scripts'));
  });

  test('leaves out exactly the test suites the node:22 builder cannot run', () => {
    const pattern = /- test\/\(([^)]+)\)\\\.test\\\.ts\$\$/.exec(cloudbuild)?.[1].split('|');
    expect(pattern?.sort()).toEqual([
      'detection-wider',
      'eval-cli',
      'function-loading',
      'pipeline',
      'upload-page',
    ]);
  });
});

describe('docs/deploy.md', () => {
  const doc = readFileSync(join(ROOT, 'docs', 'deploy.md'), 'utf8');

  test('goes from an empty project to a URL: bootstrap, then Cloud Build or terraform, with the stack state prefix', () => {
    const bootstrap = doc.indexOf('infra/bootstrap.sh $PROJECT $REGION $PREFIX');
    expect(bootstrap).toBeGreaterThan(0);
    expect(
      doc.indexOf(
        'gcloud builds submit --config cloudbuild.yaml --substitutions=_REGION=$REGION,_NAME_PREFIX=$PREFIX',
      ),
    ).toBeGreaterThan(bootstrap);
    expect(doc).toContain(
      'terraform init -backend-config=bucket=$PROJECT-memegen-tfstate -backend-config=prefix=$PREFIX',
    );
    expect(doc).toContain(
      'terraform apply -var project_id=$PROJECT -var region=$REGION -var name_prefix=$PREFIX',
    );
    expect(doc).toContain('gcloud functions describe $PREFIX-upload');
    // The state bucket the docs init with is the one bootstrap.sh makes and Cloud Build uses.
    expect(bootstrapText).toContain('STATE_BUCKET="gs://$PROJECT-memegen-tfstate"');
    expect(cloudbuild).toContain('_TF_STATE_BUCKET: ${PROJECT_ID}-memegen-tfstate');
  });
});
