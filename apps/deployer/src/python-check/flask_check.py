"""Reads a Flask app.py on stdin and prints one JSON object describing it.

Only parses (ast), never executes the code. Output:
  {"ok": false, "error": {"message", "line", "column", "text"}}             on a syntax error
  {"ok": true, "app_variable", "port", "routes", "has_root_route", "has_health_route"}
"""
import ast
import json
import sys


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
    source = sys.stdin.buffer.read()
    try:
        tree = ast.parse(source, filename="app.py")
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
