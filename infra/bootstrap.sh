#!/usr/bin/env bash
# One-time set-up of a project for memegen, before the first `terraform apply` or Cloud
# Build deploy (docs/deploy.md). Run it as someone who may administer the project (Owner);
# it is safe to run again.
#
#   infra/bootstrap.sh PROJECT_ID [REGION] [NAME_PREFIX]
#
# It makes:
#   - the Terraform state bucket gs://PROJECT_ID-memegen-tfstate (versioned; one state per
#     stack inside it, under the stack's name_prefix);
#   - the deployer account NAME_PREFIX-deployer, which Cloud Build deploys as
#     (cloudbuild.yaml), with exactly the roles `terraform apply` of infra/ needs
#     (DEPLOYER_ROLES, and project IAM limited to GRANTABLE_ROLES; infra/README.md says why
#     each);
#   - your permission to run builds as the deployer.
set -euo pipefail

if [ $# -lt 1 ] || [ "$1" = "-h" ] || [ "$1" = "--help" ]; then
  echo "usage: infra/bootstrap.sh PROJECT_ID [REGION] [NAME_PREFIX]   (defaults: us-central1 memegen)" >&2
  exit 2
fi
PROJECT=$1
REGION=${2:-us-central1}
PREFIX=${3:-memegen}
STATE_BUCKET="gs://$PROJECT-memegen-tfstate"
DEPLOYER_ID="$PREFIX-deployer"
DEPLOYER="$DEPLOYER_ID@$PROJECT.iam.gserviceaccount.com"

# What `terraform apply` of infra/ creates, and the narrowest predefined role for each.
DEPLOYER_ROLES=(
  roles/serviceusage.serviceUsageAdmin       # enable the APIs; create the Pub/Sub service identity
  roles/storage.admin                        # buckets, their IAM and notification, the source zip; the state
  roles/pubsub.admin                         # topics, subscriptions and their IAM
  roles/cloudfunctions.developer             # the functions
  roles/run.admin                            # run.invoker on the functions' Cloud Run services
  roles/cloudscheduler.admin                 # the sweep's Cloud Scheduler job
  roles/artifactregistry.admin               # the image repository, its cleanup policy and IAM
  roles/iam.serviceAccountAdmin              # the functions' accounts and the grants on them
  roles/iam.roleAdmin                        # the custom storage roles
  roles/logging.configWriter                 # log-based metrics
  roles/monitoring.alertPolicyEditor         # alert policies
  roles/monitoring.notificationChannelEditor # the alert email channel
  roles/monitoring.dashboardEditor           # the dashboard
  roles/logging.logWriter                    # the build's own log (cloudbuild.yaml: CLOUD_LOGGING_ONLY)
)
# The only roles infra/ grants at project level (to the function build account); the
# deployer may grant these and nothing else on the project (an IAM condition).
GRANTABLE_ROLES=(roles/logging.logWriter roles/storage.objectAdmin)

gcloud() { command gcloud --project="$PROJECT" --quiet "$@"; }

echo "== APIs the bootstrap itself needs"
gcloud services enable serviceusage.googleapis.com cloudresourcemanager.googleapis.com \
  iam.googleapis.com cloudbuild.googleapis.com storage.googleapis.com

echo "== Terraform state: $STATE_BUCKET"
if ! gcloud storage buckets describe "$STATE_BUCKET" >/dev/null 2>&1; then
  gcloud storage buckets create "$STATE_BUCKET" --location="$REGION" \
    --uniform-bucket-level-access --public-access-prevention
fi
gcloud storage buckets update "$STATE_BUCKET" --versioning >/dev/null

echo "== Deployer account: $DEPLOYER"
if ! gcloud iam service-accounts describe "$DEPLOYER" >/dev/null 2>&1; then
  gcloud iam service-accounts create "$DEPLOYER_ID" \
    --display-name="memegen deployer ($PREFIX): runs terraform apply in Cloud Build"
fi
for role in "${DEPLOYER_ROLES[@]}"; do
  gcloud projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:$DEPLOYER" \
    --role="$role" --condition=None >/dev/null
done
# Project IAM Admin, but only for granting GRANTABLE_ROLES: without the condition the
# deployer could grant itself Owner.
condition=$(mktemp)
trap 'rm -f "$condition"' EXIT
quoted=$(printf "'%s', " "${GRANTABLE_ROLES[@]}")
cat >"$condition" <<EOF
{
  "title": "memegen: only the roles infra/ grants",
  "description": "Project IAM limited to the roles infra/*.tf grants at project level (infra/bootstrap.sh)",
  "expression": "api.getAttribute('iam.googleapis.com/modifiedGrantsByRole', []).hasOnly([${quoted%, }])"
}
EOF
gcloud projects add-iam-policy-binding "$PROJECT" --member="serviceAccount:$DEPLOYER" \
  --role=roles/resourcemanager.projectIamAdmin --condition-from-file="$condition" >/dev/null

echo "== You may run builds as the deployer"
me=$(command gcloud config get-value account 2>/dev/null)
case "$me" in
  *.gserviceaccount.com) member="serviceAccount:$me" ;;
  *) member="user:$me" ;;
esac
gcloud iam service-accounts add-iam-policy-binding "$DEPLOYER" --member="$member" \
  --role=roles/iam.serviceAccountUser >/dev/null

cat <<EOF

Done. Deploy with Cloud Build (as $DEPLOYER):
  gcloud builds submit --config cloudbuild.yaml --substitutions=_REGION=$REGION,_NAME_PREFIX=$PREFIX
or from this machine (docs/deploy.md):
  terraform -chdir=infra init -backend-config=bucket=${STATE_BUCKET#gs://} -backend-config=prefix=$PREFIX
EOF
