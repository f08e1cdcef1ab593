"""MongoDB shell scripts and Redis commands: kinds, filters, tokenizing, redis-cli splitting."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from shellgate.payloads.databases.jsscan import JsSyntaxError, tokenize
from shellgate.payloads.databases.nosql import (
    MONGO_KINDS,
    REDIS_KINDS,
    classify_mongo,
    classify_redis,
    split_redis_protocol,
    split_redis_script,
)

DROP_DB, DROP_COLL = "mongo.drop-database", "mongo.drop-collection"
DROP_INDEX, DROP_USER = "mongo.drop-index", "mongo.drop-user"
DEL, UPD, DYN = "mongo.delete-unscoped", "mongo.update-unscoped", "mongo.dynamic"


def mongo(js: str) -> set[str]:
    return {f.kind for f in classify_mongo(js)}


@pytest.mark.parametrize(("js", "expected"), [
    # destructive
    ("db.users.drop()", {DROP_COLL}),
    ("db.dropDatabase()", {DROP_DB}),
    ("db.orders.deleteMany({})", {DEL}),
    ("db.sessions.remove({})", {DEL}),
    ("db.sessions.remove()", {DEL}),
    ("db.users.updateMany({}, {$set: {role: 'guest'}})", {UPD}),
    ("db.users.update({}, {$set: {a: 1}}, {multi: true})", {UPD}),
    ("db.users.dropIndex('email_1')", {DROP_INDEX}),
    ("db.users.dropIndexes()", {DROP_INDEX}),
    ("db.dropAllUsers()", {DROP_USER}),
    ("db.getSiblingDB('prod').dropDatabase()", {DROP_DB}),
    ("db.getMongo().getDB('x').dropDatabase()", {DROP_DB}),
    ("db.getCollection('x').drop()", {DROP_COLL}),
    ("db['x'].drop()", {DROP_COLL}),
    ('db["users"]["drop"]()', {DROP_COLL}),
    ("db.users?.drop?.()", {DROP_COLL}),
    ("db.getCollectionNames().forEach(c => db[c].drop())", {DROP_COLL}),
    ("db.runCommand({dropDatabase: 1})", {DROP_DB}),
    ("db.runCommand('dropDatabase')", {DROP_DB}),
    ("db.adminCommand({drop: 'users'})", {DROP_COLL}),
    ("db.adminCommand({renameCollection: 'a.b', to: 'a.c', dropTarget: true})", {DROP_COLL}),
    ("db.runCommand({delete: 'users', deletes: [{q: {}, limit: 0}]})", {DEL}),
    ("db.runCommand({shutdown: 1})", {DYN}),
    ("db.runCommand(cmd)", {DYN}),
    ("db.users.renameCollection('old', true)", {DROP_COLL}),
    ("db.x.aggregate([{$match: {}}, {$out: 'y'}])", {DROP_COLL}),
    ("db.x.bulkWrite([{deleteMany: {filter: {}}}])", {DEL}),
    ("db.x.bulkWrite(ops)", {DYN}),
    # tautological or invisible filters
    ("db.users.deleteMany({ })", {DEL}),
    ("db.users.deleteMany()", {DEL}),
    ("db.users.deleteMany(filter)", {DEL}),
    ("db.users.deleteMany({_id: {$exists: true}})", {DEL}),
    ("db.users.deleteMany({_id: {$ne: null}})", {DEL}),
    ("db.users.deleteMany({$where: 'true'})", {DEL}),
    ("db.users.deleteMany({$expr: true})", {DEL}),
    ("db.users.deleteMany({$or: [{}, {a: 1}]})", {DEL}),
    ("db.users.deleteMany({$alwaysTrue: 1})", {DEL}),
    ("db.users.deleteMany({...f})", {DEL}),
    ("db.users.updateMany({$comment: 'all'}, {$set: {a: 1}})", {UPD}),
    # hiding the name
    ("db.users.\\u0064rop()", {DROP_COLL}),
    ('db.users["\\x64rop"]()', {DROP_COLL}),
    ("db.users[`drop`]()", {DROP_COLL}),
    ("const d = db.users.drop; d.call(db.users)", {DROP_COLL}),
    ("const {drop} = db.users; drop()", {DROP_COLL}),
    ("x = `a ${db.y.drop()} b`", {DROP_COLL}),
    # code from text: fail closed
    ("eval('db.x.drop()')", {DYN}),
    ("new Function('return 1')()", {DYN}),
    ("load('wipe.js')", {DYN}),
    ("db.users[op]({})", {DYN}),
    ("db.users['dr' + 'op']()", {DYN}),
    ("this.constructor.constructor('return 1')()", {DYN}),
    ("var s = 'unterminated", {DYN}),
    ("db.users.find(", {DYN}),
    ("/* never closed", {DYN}),
    ("x = `never closed ${1}", {DYN}),
    # benign
    ("db.users.find({email: 'a@example.com'})", set()),
    ("db.orders.countDocuments()", set()),
    ("db.users.createIndex({email: 1}, {unique: true})", set()),
    ("db.stats()", set()),
    ("db.users.insertOne({email: 'n@example.com', createdAt: new Date()})", set()),
    ("db.getCollectionNames()", set()),
    ("db.serverStatus().connections", set()),
    ("db.users.deleteMany({_id: ObjectId('65f1c2a9e4b0a1b2c3d4e5f6')})", set()),
    ("db.sessions.deleteMany({expiresAt: {$lt: new Date()}})", set()),
    ("db.users.deleteMany({$or: [{a: 1}, {b: 2}]})", set()),
    ("db.users.deleteMany({$expr: {$gt: ['$a', 1]}})", set()),
    ("db.users.deleteMany({_id: {$exists: false}, a: 1})", set()),
    ("db.logs.insertOne({msg: 'db.users.drop() failed'})", set()),
    ("db.users.updateOne({email: 'a@example.com'}, {$set: {verified: true}})", set()),
    ("db.users.deleteOne({email: 'spam@example.com'})", set()),
    ("db.users.update({}, {$set: {a: 1}})", set()),
    ("db.users.remove({a: 1}, true)", set()),
    ("db.users.remove({}, {justOne: true})", set()),
    ("db.runCommand({ping: 1})", set()),
    ("db.runCommand({delete: 'users', deletes: [{q: {a: 1}, limit: 0}]})", set()),
    ("db.x.bulkWrite([{deleteMany: {filter: {a: 1}}}])", set()),
    ("db.users.find({drop: true, remove: 1})", set()),
    ("const update = {$set: {a: 1}}; db.users.updateOne({a: 1}, update)", set()),
    ("// db.users.drop()\ndb.users.find()", set()),
    ("/* db.users.drop() */ db.users.find()", set()),
    ("x = /db.users.drop()/; y = 4 / 2", set()),
    ("use prod\nshow collections\ndb.users.findOne()", set()),
])
def test_mongo_table(js: str, expected: set[str]) -> None:
    assert mongo(js) == expected
    assert expected <= MONGO_KINDS


def test_mongo_detail_quotes_the_call() -> None:
    [finding] = classify_mongo("print(1);\ndb.getSiblingDB('prod').dropDatabase();")
    assert finding.detail == "db.getSiblingDB('prod').dropDatabase() — drops the database"


@pytest.mark.parametrize(("src", "expected"), [
    ("a / b / c", ["name", "punct", "name", "punct", "name"]),
    ("x = /a[/]b/g", ["name", "punct", "regex"]),
    ("return /re/.test(s)", ["name", "regex", "punct", "name", "punct", "name", "punct"]),
    ("`a${b}c`", ["dyntemplate", "name", "dyntemplate"]),
    ("`plain`", ["template"]),
    ("a?.b ?? c", ["name", "punct", "name", "punct", "name"]),
    ("x ? .5 : 1", ["name", "punct", "number", "punct", "number"]),
    ("'a\\'b' \"c\"", ["string", "string"]),
])
def test_js_token_kinds(src: str, expected: list[str]) -> None:
    assert [t.kind for t in tokenize(src)] == expected


def test_js_decodes_escapes_in_names_and_strings() -> None:
    toks = tokenize("\\u{64}rop '\\x64\\u0072op' `t\\x41`")
    assert [t.value for t in toks] == ["drop", "drop", "tA"]


@pytest.mark.parametrize("src", ["'open", '"a\nb"', "`x", "/* x", "x = /unclosed\n", "\\"])
def test_js_unterminated_raises(src: str) -> None:
    with pytest.raises(JsSyntaxError):
        tokenize(src)


@settings(max_examples=150, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("db.drop()[]{}'\"`$/\\*u0-9: \n,")), max_size=50))
def test_mongo_any_text_yields_declared_kinds(js: str) -> None:
    assert mongo(js) <= MONGO_KINDS


@pytest.mark.parametrize(("words", "expected"), [
    (["FLUSHALL"], {"redis.flush"}),
    (["flushdb", "async"], {"redis.flush"}),
    (["FlushAll", "SYNC"], {"redis.flush"}),
    (["SWAPDB", "0", "1"], {"redis.flush"}),
    (["REPLICAOF", "evil.host", "6379"], {"redis.flush"}),
    (["SHUTDOWN", "NOSAVE"], {"redis.shutdown"}),
    (["CONFIG", "SET", "dir", "/var/www"], {"redis.config"}),
    (["config", "set", "dbfilename", "shell.php"], {"redis.config"}),
    (["CONFIG", "REWRITE"], {"redis.config"}),
    (["DEBUG", "SEGFAULT"], {"redis.debug"}),
    (["EVAL", "return redis.call('FLUSHALL')", "0"], {"redis.dynamic"}),
    (["EVALSHA", "abc", "0"], {"redis.dynamic"}),
    (["FCALL", "f", "0"], {"redis.dynamic"}),
    (["SCRIPT", "LOAD", "return 1"], {"redis.dynamic"}),
    (["FUNCTION", "FLUSH"], {"redis.dynamic"}),
    (["MODULE", "LOAD", "/tmp/x.so"], {"redis.dynamic"}),
    (["CLUSTER", "RESET", "HARD"], {"redis.flush"}),
    (["ACL", "SETUSER", "bob", "on"], {"redis.config"}),
    (["SHUTDOWN", "ABORT"], set()),
    (["REPLICAOF", "NO", "ONE"], set()),
    (["CONFIG", "GET", "dir"], set()),
    (["SCRIPT", "FLUSH"], set()),
    (["DEL", "user:*"], set()),
    (["UNLINK", "a", "b"], set()),
    (["KEYS", "*"], set()),
    (["SET", "note", "FLUSHALL on Sunday"], set()),
    (["CLUSTER", "INFO"], set()),
    ([], set()),
])
def test_redis_table(words: list[str], expected: set[str]) -> None:
    assert {f.kind for f in classify_redis(words)} == expected
    assert expected <= REDIS_KINDS


def test_redis_detail() -> None:
    [finding] = classify_redis(["flushdb", "async"])
    assert finding.detail == "flushdb async — deletes every key of the database"


@pytest.mark.parametrize(("text", "expected"), [
    ("FLUSHALL\n", [["FLUSHALL"]]),
    ("  get  k \r\n\nset k v\n", [["get", "k"], ["set", "k", "v"]]),
    ('SET k "a b\\n\\x41"', [["SET", "k", "a b\nA"]]),
    ("SET k 'it\\'s'", [["SET", "k", "it's"]]),
    ('SET k a"b c"d', [["SET", "k", 'a"b', 'c"d']]),  # rejected by redis-cli: read loosely
    ('SET k "unterminated', [["SET", "k", '"unterminated']]),
    ("5 INCR x", [["INCR", "x"]]),
    ("5", [["5"]]),
    ("3 FLUSHALL\n", [["FLUSHALL"]]),
])
def test_split_redis_script(text: str, expected: list[list[str]]) -> None:
    assert split_redis_script(text) == expected


@pytest.mark.parametrize(("text", "expected"), [
    ("*1\r\n$8\r\nFLUSHALL\r\n", [["FLUSHALL"]]),
    ("*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$3\r\na b\r\nPING\r\n", [["SET", "k", "a b"], ["PING"]]),
    ("*4\r\n$6\r\nCONFIG\r\n$3\r\nSET\r\n$3\r\ndir\r\n$4\r\n/tmp\r\n",
     [["CONFIG", "SET", "dir", "/tmp"]]),
    ("*2\r\n$3\r\nGET\r\n$99\r\nk\r\nFLUSHALL\r\n",  # malformed: read loosely
     [["*2"], ["$3"], ["GET"], ["$99"], ["k"], ["FLUSHALL"]]),
])
def test_split_redis_protocol(text: str, expected: list[list[str]]) -> None:
    assert split_redis_protocol(text) == expected


@settings(max_examples=2000, deadline=None)
@given(st.text(st.sampled_from(list("+-09a٣ x")), max_size=6))
def test_repeat_count_reads_what_its_regex_read(word: str) -> None:
    import re

    from shellgate.payloads.databases.redis import repeat_count

    assert repeat_count(word) == (re.fullmatch(r"[+-]?[0-9]+", word) is not None)


def test_hex_escapes_in_redis_strings() -> None:
    assert split_redis_script('SET k "\\x41\\x4g\\x"\n3 PING') == [
        ["SET", "k", "A" + "x4g" + "x"], ["PING"]]


def test_redis_commands_load_no_javascript_scanner() -> None:
    import subprocess
    import sys

    probe = ("import sys\nfrom shellgate.payloads.databases.nosql import classify_redis, "
             "split_redis_script\nclassify_redis(split_redis_script('FLUSHALL')[0])\n"
             "print('shellgate.payloads.databases.jsscan' in sys.modules, 're' in sys.modules)")
    result = subprocess.run([sys.executable, "-I", "-S", "-c",
                             f"import sys; sys.path[:0] = {sys.path!r}\n" + probe],
                            capture_output=True, text=True, check=True)
    assert result.stdout.split() == ["False", "False"]
