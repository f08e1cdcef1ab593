"""Remote and platform execution, and command names only known at run time."""

from __future__ import annotations

import pytest

from shellgate.engine import evaluate
from shellgate.parse.context import mapping_reader
from shellgate.parse.wrappers.platforms import ssm_commands
from shellgate.values import NO_STDIN, Decision
from tests.conftest import shipped_rules


def decide(cmd: str, files: dict[str, str] | None = None) -> Decision:
    return evaluate(cmd, shipped_rules(), mapping_reader(files or {}), NO_STDIN)


@pytest.mark.parametrize("cmd", [
    "railway ssh -- rm -rf /data",
    "railway ssh --service api --environment production rm -rf /data",
    'echo "DROP TABLE users;" | railway connect postgres',
    "railway connect postgres < wipe.sql",
    "railway run rm -rf /data",
    "heroku run rm -rf /app/storage -a prod",
    'heroku run:detached "psql $DATABASE_URL -c \\"DROP TABLE users\\""',
    'fly ssh console -C "rm -rf /data"',
    'flyctl ssh console -a app --command="rm -rf /data"',
    'fly machine exec 3d8d "rm -rf /data"',
    'gcloud compute ssh db-1 --zone europe-west1-b --command "rm -rf /var/lib/postgresql"',
    'gcloud compute ssh db-1 --command="sudo rm -rf /srv"',
    'gcloud compute ssh db-1 -- "rm -rf /srv"',
    "aws ssm send-command --document-name AWS-RunShellScript --targets Key=tag:env,Values=prod "
    "--parameters 'commands=[\"rm -rf /var/lib/mysql\"]'",
    "aws ssm send-command --document-name AWS-RunShellScript --parameters "
    "'{\"commands\":[\"systemctl stop db\",\"rm -rf /data\"]}'",
    "aws ssm send-command --document-name AWS-RunShellScript --parameters file://p.json",
    'aws ecs execute-command --cluster c --task t --interactive --command "rm -rf /data"',
    'az vm run-command invoke -g rg -n vm --command-id RunShellScript --scripts "rm -rf /data"',
    'az vm run-command invoke -g rg -n vm --command-id RunShellScript --scripts "ls" '
    '"rm -rf /data" --parameters a=b',
    'az container exec -g rg -n app --exec-command "rm -rf /data"',
    'doctl compute ssh web-1 --ssh-command "rm -rf /data"',
    'vagrant ssh -c "rm -rf /vagrant"',
    "multipass exec vm -- rm -rf /home/ubuntu/data",
    "lxc exec c1 -- rm -rf /srv",
    "incus exec c1 -- git push --force",
    'screen -dmS job bash -c "rm -rf /data"',
    "screen -S job -dm rm -rf /data",
    'tmux new -d -s job "rm -rf /data"',
])
def test_remote_commands_are_read(cmd: str) -> None:
    files = {"wipe.sql": "DROP TABLE users;", "p.json": '{"commands": ["rm -rf /data"]}'}
    decision = decide(cmd, files)
    assert decision.verdict == "gate", (cmd, decision.rule_ids)


@pytest.mark.parametrize("cmd", [
    "railway ssh -- ls -la", "railway logs", 'heroku run "rails console --sandbox" -a x',
    'fly ssh console -C "df -h"', "fly ssh console", 'gcloud compute ssh vm --command uptime',
    "aws ssm send-command --document-name AWS-RunShellScript --parameters 'commands=[\"df -h\"]'",
    'az vm run-command invoke -g rg -n vm --command-id RunShellScript --scripts "uptime"',
    "multipass exec vm -- ls", "screen -ls", "tmux new -d -s job 'npm run dev'",
    "gcloud compute instances list", "aws s3 ls",
])
def test_harmless_remote_commands_pass(cmd: str) -> None:
    decision = decide(cmd)
    assert decision.verdict == "allow", (cmd, decision.rule_ids)


def test_ssm_parameter_spellings() -> None:
    assert ssm_commands('{"commands": ["a", "b"]}') == ["a", "b"]
    assert ssm_commands('commands=["a b","c"]') == ["a b", "c"]
    assert ssm_commands("commands=a,b") == ["a", "b"]


@pytest.mark.parametrize("cmd", [
    "c=RM; ${c,,} -rf /srv", "c=rm; ${c^^} -rf /srv", "c=rm; ${c^} -rf /srv",
    "c=Rm; ${c,} -rf /srv", "c=rm; ${c@U} -rf /srv", "c=rm; ${c@L} -rf /srv",
    "c=xrm; ${c#x} -rf /srv", "c=rmx; ${c%x} -rf /srv", "c=rxm; ${c/x/} -rf /srv",
    "c=rmrf; ${c:0:2} -rf /srv", "c=rm; ${!c} -rf /srv", "${c:-rm} -rf /srv",
    "/bin/[r]m -rf /srv", "/usr/bin/r? -rf /srv", "/usr/bin/g*t push --force",
    "/usr/*/rm -rf /srv", "./[g]it push -f",
])
def test_command_names_not_statically_known_are_dynamic(cmd: str) -> None:
    decision = decide(cmd)
    assert "core.dynamic-command" in decision.rule_ids, (cmd, decision.rule_ids)


@pytest.mark.parametrize("cmd", [
    "[ -f x ] && echo y", "'/bin/[r]m' x", '"/usr/bin/g?t" status', "c=ls; ${c} -la",
    "c=ls; $c -la", "echo ${#x} ${x,,} ${x^^}", "ls *.txt", "git add src/*.py",
])
def test_static_names_and_patterns_in_arguments_pass(cmd: str) -> None:
    decision = decide(cmd)
    assert "core.dynamic-command" not in decision.rule_ids, (cmd, decision.rule_ids)
