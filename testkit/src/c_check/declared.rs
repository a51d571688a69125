//! The functions a Rust source file declares in its `extern "C"` blocks,
//! read from the file itself and spelled in C, so that a header check
//! compares what the code declares rather than a copy typed beside it.

use std::collections::HashMap;
use std::path::Path;

use syn::visit::Visit;
use syn::{FnArg, ForeignItemFn, ReturnType, Type};

/// A function of an `extern "C"` block, its types spelled in C.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Declared {
    /// The function's name.
    pub name: String,
    /// The C return type (`void` for none).
    pub ret: String,
    /// The C parameter types, in order.
    pub params: Vec<String>,
}

impl Declared {
    /// A C definition that compiles only if the header's prototype of the
    /// function is compatible with this one: a pointer of this type
    /// initialised with the header's function.
    pub fn pointer_check(&self) -> String {
        format!(
            "{} (*const check_{})({}) = {};",
            self.ret,
            self.name,
            self.params.join(", "),
            self.name
        )
    }
}

/// Every function declared in an `extern "C"` block of `rust_source`, at
/// any depth (in modules, in function bodies), whatever its `cfg`.
///
/// # Errors
///
/// When the source does not parse, or a declaration uses a type this
/// module cannot spell in C (the message names it: add it here).
pub fn declared_functions(rust_source: &str) -> Result<Vec<Declared>, String> {
    let file = syn::parse_file(rust_source).map_err(|e| format!("parsing the source: {e}"))?;
    let mut found = Finder::default();
    found.visit_file(&file);
    found
        .functions
        .iter()
        .map(|f| declared(f, &found.aliases))
        .collect()
}

/// [`declared_functions`] of every `.rs` file under `dir`.
///
/// # Errors
///
/// When a file cannot be read or [`declared_functions`] refuses it; the
/// message names the file.
pub fn declared_in_tree(dir: &Path) -> Result<Vec<Declared>, String> {
    let mut paths = vec![dir.to_path_buf()];
    let mut found = Vec::new();
    while let Some(path) = paths.pop() {
        let at = |e: &dyn std::fmt::Display| format!("{}: {e}", path.display());
        if path.is_dir() {
            for entry in std::fs::read_dir(&path).map_err(|e| at(&e))? {
                paths.push(entry.map_err(|e| at(&e))?.path());
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            let source = std::fs::read_to_string(&path).map_err(|e| at(&e))?;
            found.extend(declared_functions(&source).map_err(|e| at(&e))?);
        }
    }
    Ok(found)
}

/// The source's extern functions, and its type aliases (a callback's
/// `type X = unsafe extern "C" fn(...)`), which are spelled as what they
/// stand for so that the alias is checked too.
#[derive(Default)]
struct Finder<'ast> {
    functions: Vec<&'ast ForeignItemFn>,
    aliases: Aliases<'ast>,
}

type Aliases<'ast> = HashMap<String, &'ast Type>;

impl<'ast> Visit<'ast> for Finder<'ast> {
    fn visit_foreign_item_fn(&mut self, f: &'ast ForeignItemFn) {
        self.functions.push(f);
    }

    fn visit_item_type(&mut self, t: &'ast syn::ItemType) {
        self.aliases.insert(t.ident.to_string(), &t.ty);
    }
}

fn declared(f: &ForeignItemFn, aliases: &Aliases<'_>) -> Result<Declared, String> {
    let name = f.sig.ident.to_string();
    let in_fn = |e: String| format!("{name}: {e}");
    let params = f
        .sig
        .inputs
        .iter()
        .map(|arg| match arg {
            FnArg::Typed(t) => c_type(&t.ty, aliases),
            FnArg::Receiver(_) => Err("a receiver in an extern block".into()),
        })
        .collect::<Result<Vec<_>, _>>()
        .map_err(in_fn)?;
    Ok(Declared {
        ret: c_return(&f.sig.output, aliases).map_err(in_fn)?,
        params,
        name,
    })
}

fn c_return(ret: &ReturnType, aliases: &Aliases<'_>) -> Result<String, String> {
    match ret {
        ReturnType::Default => Ok("void".into()),
        ReturnType::Type(_, t) => {
            let c = c_type(t, aliases)?;
            // "R (*)(A)" cannot stand where a prototype's return type goes.
            if c.contains("(*)") {
                return Err("a function pointer as a return type".into());
            }
            Ok(c)
        }
    }
}

/// The C spelling of `ty` as a type name (as a cast or a parameter of a
/// prototype takes it). A qualifier follows what it qualifies ("char
/// const *", "char * const *"), so nested pointers read right.
fn c_type(ty: &Type, aliases: &Aliases<'_>) -> Result<String, String> {
    match ty {
        Type::Ptr(p) => {
            let inner = c_type(&p.elem, aliases)?;
            if inner.contains("(*)") {
                return Err("a pointer to a function pointer".into());
            }
            Ok(match p.const_token {
                Some(_) => format!("{inner} const *"),
                None => format!("{inner} *"),
            })
        }
        Type::Tuple(t) if t.elems.is_empty() => Ok("void".into()),
        Type::BareFn(f) => {
            let params = f
                .inputs
                .iter()
                .map(|a| c_type(&a.ty, aliases))
                .collect::<Result<Vec<_>, _>>()?;
            Ok(format!(
                "{} (*)({})",
                c_return(&f.output, aliases)?,
                params.join(", ")
            ))
        }
        Type::Path(p) => {
            let last = p.path.segments.last().ok_or("an empty path")?;
            let ident = last.ident.to_string();
            if ident == "Option" {
                // Option<extern fn> is the nullable function pointer.
                if let syn::PathArguments::AngleBracketed(a) = &last.arguments {
                    if let Some(syn::GenericArgument::Type(inner)) = a.args.first() {
                        return c_type(inner, aliases);
                    }
                }
                return Err("an Option without a type".into());
            }
            if let Some(t) = aliases.get(&ident) {
                return c_type(t, aliases);
            }
            scalar(&ident)
                .map(str::to_owned)
                .ok_or_else(|| format!("no C spelling known for `{ident}`"))
        }
        _ => Err("a type that is neither a pointer, a path nor a function pointer".into()),
    }
}

/// C's name for a Rust scalar or an OpenSSL struct of openssl-sys.
fn scalar(ident: &str) -> Option<&str> {
    Some(match ident {
        "c_int" | "i32" => "int",
        "c_uint" | "u32" => "unsigned int",
        "c_long" => "long",
        "c_ulong" => "unsigned long",
        "c_char" => "char",
        "c_uchar" | "u8" => "unsigned char",
        "c_void" => "void",
        "size_t" | "usize" => "size_t",
        "u64" => "uint64_t",
        "SSL" | "SSL_CTX" | "SSL_SESSION" | "SSL_CIPHER" | "SSL_METHOD" | "BIO" | "X509"
        | "X509_NAME" | "X509_VERIFY_PARAM" | "X509_STORE_CTX" | "EVP_PKEY" => ident,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::declared_functions;

    #[test]
    fn declarations_are_spelled_in_c() {
        let source = r#"
            extern "C" {
                fn SSL_renegotiate(s: *mut SSL) -> c_int;
            }
            type BioCallbackEx = unsafe extern "C" fn(*mut BIO, c_int) -> c_long;
            mod srp {
                fn f() {
                    extern "C" {
                        fn SSL_CTX_set_srp_username_callback(
                            ctx: *mut SSL_CTX,
                            cb: Option<unsafe extern "C" fn(*mut SSL, *mut c_int, *mut c_void) -> c_int>,
                        ) -> c_int;
                        fn BIO_get_callback_arg(b: *const BIO) -> *mut c_char;
                        fn nested(a: *const *mut c_char, b: *mut *const c_char);
                        fn BIO_set_callback_ex(b: *mut BIO, callback: Option<BioCallbackEx>);
                    }
                }
            }
        "#;
        let checks: Vec<String> = declared_functions(source)
            .expect("declarations")
            .iter()
            .map(|d| d.pointer_check())
            .collect();
        assert_eq!(
            checks,
            [
                "int (*const check_SSL_renegotiate)(SSL *) = SSL_renegotiate;",
                "int (*const check_SSL_CTX_set_srp_username_callback)(SSL_CTX *, \
                 int (*)(SSL *, int *, void *)) = SSL_CTX_set_srp_username_callback;",
                "char * (*const check_BIO_get_callback_arg)(BIO const *) = BIO_get_callback_arg;",
                "void (*const check_nested)(char * const *, char const * *) = nested;",
                "void (*const check_BIO_set_callback_ex)(BIO *, long (*)(BIO *, int)) = \
                 BIO_set_callback_ex;",
            ]
        );
    }

    #[test]
    fn an_unknown_type_is_named() {
        let e = declared_functions(r#"extern "C" { fn f(x: Widget); }"#).unwrap_err();
        assert!(e.contains("f: no C spelling known for `Widget`"), "{e}");
        let e =
            declared_functions(r#"extern "C" { fn g() -> Option<extern "C" fn()>; }"#).unwrap_err();
        assert!(e.contains("g: a function pointer as a return type"), "{e}");
    }
}
