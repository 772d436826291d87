//! std_fs.rs — a Rust std program (no crates) using std::fs the way real
//! code does, run through `wadup exec --dir HOST::/work`: it must behave as
//! under wasmtime. Prints one line per check and exits 0 only if all pass.
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

fn check(name: &str, ok: bool, failures: &mut u32) {
    println!("{} {}", if ok { "ok" } else { "FAIL" }, name);
    if !ok {
        *failures += 1;
    }
}

fn main() {
    let mut f = 0u32;
    let root = Path::new("/work");
    // reading a directory: Rust's std opens it with path_open(O_DIRECTORY) and file rights
    let mut names: Vec<String> = fs::read_dir(root)
        .map(|it| it.filter_map(|e| e.ok()).map(|e| e.file_name().to_string_lossy().into_owned()).collect())
        .unwrap_or_default();
    names.sort();
    check("read_dir lists the host tree", names == vec!["hello.txt".to_string(), "sub".to_string()], &mut f);
    check("read_to_string", fs::read_to_string(root.join("hello.txt")).map(|s| s == "hello from the host\n").unwrap_or(false), &mut f);
    check("metadata is_dir", fs::metadata(root.join("sub")).map(|m| m.is_dir()).unwrap_or(false), &mut f);
    check("metadata len", fs::metadata(root.join("hello.txt")).map(|m| m.len() == 20).unwrap_or(false), &mut f);
    // writing inside the sandbox (never written back to the host)
    check("create_dir_all", fs::create_dir_all(root.join("new/deeper")).is_ok(), &mut f);
    check("write", fs::write(root.join("new/deeper/file.bin"), b"0123456789").is_ok(), &mut f);
    let mut file = fs::OpenOptions::new().read(true).write(true).open(root.join("new/deeper/file.bin")).expect("open rw");
    check("seek + write", file.seek(SeekFrom::Start(4)).is_ok() && file.write_all(b"XY").is_ok(), &mut f);
    let mut s = String::new();
    check("seek + read", file.seek(SeekFrom::Start(0)).is_ok() && file.read_to_string(&mut s).is_ok() && s == "0123XY6789", &mut f);
    drop(file);
    check("rename", fs::rename(root.join("new/deeper/file.bin"), root.join("new/moved.bin")).is_ok(), &mut f);
    check("old name gone", !root.join("new/deeper/file.bin").exists(), &mut f);
    check("copy", fs::copy(root.join("new/moved.bin"), root.join("new/copy.bin")).map(|n| n == 10).unwrap_or(false), &mut f);
    check("hard_link", fs::hard_link(root.join("new/copy.bin"), root.join("new/link.bin")).is_ok(), &mut f);
    check("read through a hard link", fs::read(root.join("new/link.bin")).map(|b| b == b"0123XY6789").unwrap_or(false), &mut f);
    check("read_link of a file fails", fs::read_link(root.join("new/link.bin")).is_err(), &mut f);
    check("escape refused", fs::read("/work/../etc/passwd").is_err() && fs::read("/work/sub/../../hello.txt").is_err(), &mut f);
    check("remove_file", fs::remove_file(root.join("new/link.bin")).is_ok(), &mut f);
    check("remove_dir_all", fs::remove_dir_all(root.join("new")).is_ok() && !root.join("new").exists(), &mut f);
    check("not found is NotFound", fs::read(root.join("missing")).map_err(|e| e.kind()) == Err(std::io::ErrorKind::NotFound), &mut f);
    std::process::exit(if f == 0 { 0 } else { 1 });
}
