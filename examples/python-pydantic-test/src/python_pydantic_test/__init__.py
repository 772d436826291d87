"""python-pydantic-test — validates records with a pydantic BaseModel.

The content itself is not looked at: every content gives
  users(name String, age Int64, email String): Alice 30, Bob 25, Charlie 35
  info(key String, value String): status=success, pydantic_version=<version>,
      users_validated=3, and validation_error=<message> for a record that is
      invalid on purpose (age "not a number"), whose ValidationError is caught.
"""
import pydantic
from pydantic import BaseModel, ValidationError

import wadup

wadup.define_table("users", [("name", str), ("age", int), ("email", str)])
wadup.define_table("info", [("key", str), ("value", str)])

RECORDS = [
    {"name": "Alice", "age": 30, "email": "alice@example.com"},
    {"name": "Bob", "age": "25", "email": "bob@example.com"},  # "25" is coerced to 25
    {"name": "Charlie", "age": 35, "email": "charlie@example.com"},
]
INVALID = {"name": "Mallory", "age": "not a number", "email": "mallory@example.com"}


class User(BaseModel):
    name: str
    age: int
    email: str


def main():
    users = [User(**r) for r in RECORDS]
    for u in users:
        wadup.insert_row("users", [u.name, u.age, u.email])
    try:
        User(**INVALID)
    except ValidationError as e:
        first = e.errors()[0]
        message = "%s: %s" % (".".join(str(p) for p in first["loc"]), first["msg"])
    else:
        raise AssertionError("the invalid record was accepted")
    wadup.insert_row("info", ["status", "success"])
    wadup.insert_row("info", ["pydantic_version", str(pydantic.VERSION)])
    wadup.insert_row("info", ["users_validated", str(len(users))])
    wadup.insert_row("info", ["validation_error", message])
