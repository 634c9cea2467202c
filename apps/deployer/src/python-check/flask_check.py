"""Reads a Flask app.py on stdin and prints one JSON object describing it.

Only parses (ast), never executes the code. Output:
  {"ok": false, "error": {"message", "line", "column", "text"}}             on a syntax error
  {"ok": true, "app_variable", "port", "routes", "has_root_route", "has_health_route"}
  {"ok": false, "limit": {"message", "line"}}                                  when the code exceeds a limit

Limits: Python's parser can be driven into MemoryError or RecursionError by a few hundred kilobytes of
`-------1` or `1+1+…+1`, so expression nesting is measured from the tokens before parsing, and the process'
address space is capped so anything the estimate misses fails as a MemoryError we report, not a crash.
"""
import ast
import io
import json
import resource
import sys
import tokenize

# Deepest expression accepted: brackets plus chained operators. Python itself stops at 200 nested brackets;
# real applications stay far below either.
MAX_NESTING = 200
# Address space of this checker (bytes): parsing 256 KiB of sane code needs a few tens of MiB.
MAX_MEMORY = 512 * 1024 * 1024

# Operators that nest the tree when chained (binary, unary, comparison); `,` `:` `;` and brackets do not.
CHAINING = {
    tokenize.PLUS, tokenize.MINUS, tokenize.STAR, tokenize.SLASH, tokenize.DOUBLESLASH, tokenize.PERCENT,
    tokenize.DOUBLESTAR, tokenize.AT, tokenize.VBAR, tokenize.AMPER, tokenize.CIRCUMFLEX, tokenize.TILDE,
    tokenize.LEFTSHIFT, tokenize.RIGHTSHIFT, tokenize.LESS, tokenize.GREATER, tokenize.EQEQUAL,
    tokenize.NOTEQUAL, tokenize.LESSEQUAL, tokenize.GREATEREQUAL,
}
OPENING = {tokenize.LPAR, tokenize.LSQB, tokenize.LBRACE}
CLOSING = {tokenize.RPAR, tokenize.RSQB, tokenize.RBRACE}
RESETTING = {tokenize.COMMA, tokenize.COLON, tokenize.SEMI, tokenize.EQUAL}


def find_too_deep(source):
    """The first line whose expression nesting exceeds MAX_NESTING, or None (also when tokenizing fails:
    the parser then reports the syntax error itself)."""
    # One counter per open bracket level: operators chained at that level; depth = brackets + chains.
    chains = [0]
    try:
        for token in tokenize.tokenize(io.BytesIO(source).readline):
            kind = token.exact_type
            if kind in OPENING:
                chains.append(0)
            elif kind in CLOSING:
                if len(chains) > 1:
                    chains.pop()
            elif kind in RESETTING or token.type in (tokenize.NEWLINE, tokenize.INDENT, tokenize.DEDENT):
                chains[-1] = 0
                if token.type == tokenize.NEWLINE:
                    chains = [0]
            elif kind in CHAINING or (token.type == tokenize.NAME and token.string == "not"):
                chains[-1] += 1
            else:
                continue
            if len(chains) - 1 + sum(chains) > MAX_NESTING:
                return token.start[0]
    except (tokenize.TokenError, SyntaxError, ValueError, RecursionError, MemoryError):
        return None
    return None


def report_limit(message, line):
    print(json.dumps({"ok": False, "limit": {"message": message, "line": line}}))


def is_flask_call(node):
    if not isinstance(node, ast.Call):
        return False
    func = node.func
    if isinstance(func, ast.Name):
        return func.id == "Flask"
    if isinstance(func, ast.Attribute):
        return func.attr == "Flask" and isinstance(func.value, ast.Name) and func.value.id == "flask"
    return False


def find_app_variable(tree):
    # Module-level assignments only: gunicorn imports `app:<name>`, so the object must be a module global.
    for node in tree.body:
        if isinstance(node, ast.Assign) and is_flask_call(node.value):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    return target.id
        if isinstance(node, ast.AnnAssign) and node.value is not None and is_flask_call(node.value):
            if isinstance(node.target, ast.Name):
                return node.target.id
    return None


def find_port(tree, app_variable):
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr == "run"
            and isinstance(node.func.value, ast.Name)
            and node.func.value.id == app_variable
        ):
            for keyword in node.keywords:
                if keyword.arg == "port" and isinstance(keyword.value, ast.Constant):
                    value = keyword.value.value
                    if isinstance(value, int) and not isinstance(value, bool):
                        return value
                    if isinstance(value, str) and value.isdigit():
                        return int(value)
    return None


def find_routes(tree, app_variable):
    routes = []
    for node in ast.walk(tree):
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            continue
        for decorator in node.decorator_list:
            if (
                isinstance(decorator, ast.Call)
                and isinstance(decorator.func, ast.Attribute)
                and decorator.func.attr in ("route", "get", "post", "put", "delete", "patch")
                and isinstance(decorator.func.value, ast.Name)
                and decorator.func.value.id == app_variable
                and decorator.args
                and isinstance(decorator.args[0], ast.Constant)
                and isinstance(decorator.args[0].value, str)
            ):
                routes.append(decorator.args[0].value)
    return routes


def main():
    resource.setrlimit(resource.RLIMIT_AS, (MAX_MEMORY, MAX_MEMORY))
    source = sys.stdin.buffer.read()
    too_deep = find_too_deep(source)
    if too_deep is not None:
        report_limit(f"an expression is nested more than {MAX_NESTING} levels deep", too_deep)
        return
    try:
        tree = ast.parse(source, filename="app.py")
    except (MemoryError, RecursionError):
        report_limit("the code is too complex to check (the parser ran out of memory or depth)", None)
        return
    except SyntaxError as error:
        print(json.dumps({
            "ok": False,
            "error": {
                "message": error.msg,
                "line": error.lineno,
                "column": error.offset,
                "text": (error.text or "").rstrip("\n")[:500],
            },
        }))
        return
    except ValueError as error:
        # e.g. "source code string cannot contain null bytes"
        print(json.dumps({"ok": False, "error": {"message": str(error), "line": None, "column": None, "text": ""}}))
        return
    app_variable = find_app_variable(tree)
    routes = find_routes(tree, app_variable) if app_variable else []
    print(json.dumps({
        "ok": True,
        "app_variable": app_variable,
        "port": find_port(tree, app_variable) if app_variable else None,
        "routes": routes,
        "has_root_route": "/" in routes,
        "has_health_route": "/healthz" in routes,
    }))


if __name__ == "__main__":
    main()
