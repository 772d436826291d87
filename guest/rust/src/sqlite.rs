//! sqlite.rs (feature `sqlite`) — a WASI VFS for the guest SQLite.
//!
//! wadup's guest SQLite (build/guest-libs/sqlite) is built with
//! SQLITE_OS_OTHER: it has no VFS of its own and calls `sqlite3_os_init`,
//! which this module defines: it registers "wadup-wasi" as the default VFS.
//! rusqlite (linked against that library through libsqlite3-sys) then opens
//! databases as usual: `Connection::open("/data.bin")`.
//!
//! Files go through std::fs (WASI). A database opened read-write (rusqlite's
//! default) is opened with write rights, and if the file refuses them (the
//! content `/data.bin` is read-only) it is reopened read-only and SQLite is
//! told so (SQLITE_OPEN_READONLY): reading works, writing is
//! SQLITE_READONLY. Files under `/tmp` are writable, so scratch databases
//! and their journals work too. There is no locking (nothing else in the
//! instance can open the files) and no shared memory, so WAL databases can
//! be read only with `immutable=1` or after switching the journal mode.

use std::ffi::CStr;
use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::raw::{c_char, c_int, c_void};
use std::ptr;

use libsqlite3_sys as _; // links the guest libsqlite3.a

const SQLITE_OK: c_int = 0;
const SQLITE_NOTFOUND: c_int = 12;
const SQLITE_CANTOPEN: c_int = 14;
const SQLITE_IOERR: c_int = 10;
const SQLITE_IOERR_READ: c_int = SQLITE_IOERR | (1 << 8);
const SQLITE_IOERR_SHORT_READ: c_int = SQLITE_IOERR | (2 << 8);
const SQLITE_IOERR_WRITE: c_int = SQLITE_IOERR | (3 << 8);
const SQLITE_IOERR_TRUNCATE: c_int = SQLITE_IOERR | (6 << 8);
const SQLITE_IOERR_FSTAT: c_int = SQLITE_IOERR | (7 << 8);
const SQLITE_IOERR_DELETE: c_int = SQLITE_IOERR | (10 << 8);
const SQLITE_IOERR_DELETE_NOENT: c_int = SQLITE_IOERR | (23 << 8);
const SQLITE_OPEN_READONLY: c_int = 0x1;
const SQLITE_OPEN_READWRITE: c_int = 0x2;
const SQLITE_OPEN_CREATE: c_int = 0x4;
const SQLITE_OPEN_DELETEONCLOSE: c_int = 0x8;
const SQLITE_OPEN_EXCLUSIVE: c_int = 0x10;
const SQLITE_ACCESS_READWRITE: c_int = 1;
const MAX_PATHNAME: c_int = 1024;

/// sqlite3_io_methods, version 1.
#[repr(C)]
struct IoMethods {
    i_version: c_int,
    x_close: unsafe extern "C" fn(*mut VfsFile) -> c_int,
    x_read: unsafe extern "C" fn(*mut VfsFile, *mut c_void, c_int, i64) -> c_int,
    x_write: unsafe extern "C" fn(*mut VfsFile, *const c_void, c_int, i64) -> c_int,
    x_truncate: unsafe extern "C" fn(*mut VfsFile, i64) -> c_int,
    x_sync: unsafe extern "C" fn(*mut VfsFile, c_int) -> c_int,
    x_file_size: unsafe extern "C" fn(*mut VfsFile, *mut i64) -> c_int,
    x_lock: unsafe extern "C" fn(*mut VfsFile, c_int) -> c_int,
    x_unlock: unsafe extern "C" fn(*mut VfsFile, c_int) -> c_int,
    x_check_reserved_lock: unsafe extern "C" fn(*mut VfsFile, *mut c_int) -> c_int,
    x_file_control: unsafe extern "C" fn(*mut VfsFile, c_int, *mut c_void) -> c_int,
    x_sector_size: unsafe extern "C" fn(*mut VfsFile) -> c_int,
    x_device_characteristics: unsafe extern "C" fn(*mut VfsFile) -> c_int,
}

/// sqlite3_vfs, version 1.
#[repr(C)]
struct Vfs {
    i_version: c_int,
    sz_os_file: c_int,
    mx_pathname: c_int,
    p_next: *mut Vfs,
    z_name: *const c_char,
    p_app_data: *mut c_void,
    x_open: unsafe extern "C" fn(*mut Vfs, *const c_char, *mut VfsFile, c_int, *mut c_int) -> c_int,
    x_delete: unsafe extern "C" fn(*mut Vfs, *const c_char, c_int) -> c_int,
    x_access: unsafe extern "C" fn(*mut Vfs, *const c_char, c_int, *mut c_int) -> c_int,
    x_full_pathname: unsafe extern "C" fn(*mut Vfs, *const c_char, c_int, *mut c_char) -> c_int,
    x_dl_open: Option<unsafe extern "C" fn()>,
    x_dl_error: Option<unsafe extern "C" fn()>,
    x_dl_sym: Option<unsafe extern "C" fn()>,
    x_dl_close: Option<unsafe extern "C" fn()>,
    x_randomness: unsafe extern "C" fn(*mut Vfs, c_int, *mut c_char) -> c_int,
    x_sleep: unsafe extern "C" fn(*mut Vfs, c_int) -> c_int,
    x_current_time: unsafe extern "C" fn(*mut Vfs, *mut f64) -> c_int,
    x_get_last_error: unsafe extern "C" fn(*mut Vfs, c_int, *mut c_char) -> c_int,
}

/// An open file: sqlite3_file (its methods pointer) followed by ours.
#[repr(C)]
struct VfsFile {
    methods: *const IoMethods,
    file: *mut c_void,        // Box<File>::into_raw
    delete_path: *mut c_void, // Box<String>::into_raw, or null: the path to remove on close
}

extern "C" {
    fn sqlite3_vfs_register(vfs: *mut Vfs, make_default: c_int) -> c_int;
}

#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    #[link_name = "random_get"]
    fn wasi_random_get(buf: *mut u8, len: usize) -> i32;
}

unsafe fn file_of<'a>(f: *mut VfsFile) -> &'a mut File {
    &mut *((*f).file as *mut File)
}

unsafe extern "C" fn x_close(f: *mut VfsFile) -> c_int {
    if !(*f).file.is_null() {
        drop(Box::from_raw((*f).file as *mut File));
        (*f).file = ptr::null_mut();
    }
    if !(*f).delete_path.is_null() {
        let path = Box::from_raw((*f).delete_path as *mut String);
        let _ = std::fs::remove_file(&*path);
        (*f).delete_path = ptr::null_mut();
    }
    SQLITE_OK
}

/// x_read: `amt` bytes at `off`; a short read zero-fills the rest, as
/// SQLite requires.
unsafe extern "C" fn x_read(f: *mut VfsFile, buf: *mut c_void, amt: c_int, off: i64) -> c_int {
    if amt < 0 || off < 0 {
        return SQLITE_IOERR_READ;
    }
    let out = std::slice::from_raw_parts_mut(buf as *mut u8, amt as usize);
    let file = file_of(f);
    if file.seek(SeekFrom::Start(off as u64)).is_err() {
        return SQLITE_IOERR_READ;
    }
    let mut got = 0;
    while got < out.len() {
        match file.read(&mut out[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return SQLITE_IOERR_READ,
        }
    }
    if got == out.len() {
        return SQLITE_OK;
    }
    out[got..].fill(0);
    SQLITE_IOERR_SHORT_READ
}

unsafe extern "C" fn x_write(f: *mut VfsFile, buf: *const c_void, amt: c_int, off: i64) -> c_int {
    if amt < 0 || off < 0 {
        return SQLITE_IOERR_WRITE;
    }
    let data = std::slice::from_raw_parts(buf as *const u8, amt as usize);
    let file = file_of(f);
    match file.seek(SeekFrom::Start(off as u64)).and_then(|_| file.write_all(data)) {
        Ok(()) => SQLITE_OK,
        Err(_) => SQLITE_IOERR_WRITE,
    }
}

unsafe extern "C" fn x_truncate(f: *mut VfsFile, size: i64) -> c_int {
    if size < 0 || file_of(f).set_len(size as u64).is_err() {
        return SQLITE_IOERR_TRUNCATE;
    }
    SQLITE_OK
}

unsafe extern "C" fn x_sync(_f: *mut VfsFile, _flags: c_int) -> c_int {
    SQLITE_OK // an in-memory filesystem: nothing to sync
}

unsafe extern "C" fn x_file_size(f: *mut VfsFile, size: *mut i64) -> c_int {
    match file_of(f).metadata() {
        Ok(m) => {
            *size = m.len() as i64;
            SQLITE_OK
        }
        Err(_) => SQLITE_IOERR_FSTAT,
    }
}

unsafe extern "C" fn x_lock(_f: *mut VfsFile, _level: c_int) -> c_int {
    SQLITE_OK
}

unsafe extern "C" fn x_check_reserved_lock(_f: *mut VfsFile, out: *mut c_int) -> c_int {
    *out = 0;
    SQLITE_OK
}

unsafe extern "C" fn x_file_control(_f: *mut VfsFile, _op: c_int, _arg: *mut c_void) -> c_int {
    SQLITE_NOTFOUND
}

unsafe extern "C" fn x_sector_size(_f: *mut VfsFile) -> c_int {
    4096
}

unsafe extern "C" fn x_device_characteristics(_f: *mut VfsFile) -> c_int {
    0
}

static IO_METHODS: IoMethods = IoMethods {
    i_version: 1,
    x_close,
    x_read,
    x_write,
    x_truncate,
    x_sync,
    x_file_size,
    x_lock,
    x_unlock: x_lock,
    x_check_reserved_lock,
    x_file_control,
    x_sector_size,
    x_device_characteristics,
};

static mut TEMP_FILES: u64 = 0;

/// x_open: open `name` (a temporary file when NULL). A read-write open the
/// file refuses is retried read-only, and SQLite is told through out_flags.
unsafe extern "C" fn x_open(
    _vfs: *mut Vfs,
    name: *const c_char,
    f: *mut VfsFile,
    flags: c_int,
    out_flags: *mut c_int,
) -> c_int {
    (*f).methods = ptr::null();
    (*f).file = ptr::null_mut();
    (*f).delete_path = ptr::null_mut();
    let path = if name.is_null() {
        TEMP_FILES += 1;
        format!("/tmp/wadup-sqlite-{}.tmp", TEMP_FILES)
    } else {
        match CStr::from_ptr(name).to_str() {
            Ok(s) => s.to_string(),
            Err(_) => return SQLITE_CANTOPEN,
        }
    };
    let mut flags_out = flags;
    let opened = if flags & SQLITE_OPEN_READWRITE != 0 {
        let mut o = OpenOptions::new();
        o.read(true).write(true);
        if flags & SQLITE_OPEN_CREATE != 0 {
            if flags & SQLITE_OPEN_EXCLUSIVE != 0 {
                o.create_new(true);
            } else {
                o.create(true);
            }
        }
        match o.open(&path) {
            Ok(file) => Ok(file),
            Err(e) => match File::open(&path) {
                Ok(file) => {
                    flags_out = (flags & !(SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)) | SQLITE_OPEN_READONLY;
                    Ok(file)
                }
                Err(_) => Err(e),
            },
        }
    } else {
        File::open(&path)
    };
    let file = match opened {
        Ok(file) => file,
        Err(_) => return SQLITE_CANTOPEN,
    };
    (*f).file = Box::into_raw(Box::new(file)) as *mut c_void;
    if flags & SQLITE_OPEN_DELETEONCLOSE != 0 {
        (*f).delete_path = Box::into_raw(Box::new(path)) as *mut c_void;
    }
    (*f).methods = &IO_METHODS;
    if !out_flags.is_null() {
        *out_flags = flags_out;
    }
    SQLITE_OK
}

unsafe extern "C" fn x_delete(_vfs: *mut Vfs, name: *const c_char, _sync_dir: c_int) -> c_int {
    let path = match CStr::from_ptr(name).to_str() {
        Ok(s) => s,
        Err(_) => return SQLITE_IOERR_DELETE,
    };
    match std::fs::remove_file(path) {
        Ok(()) => SQLITE_OK,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => SQLITE_IOERR_DELETE_NOENT,
        Err(_) => SQLITE_IOERR_DELETE,
    }
}

unsafe extern "C" fn x_access(_vfs: *mut Vfs, name: *const c_char, flags: c_int, out: *mut c_int) -> c_int {
    *out = 0;
    if let Ok(path) = CStr::from_ptr(name).to_str() {
        if let Ok(m) = std::fs::metadata(path) {
            *out = (flags != SQLITE_ACCESS_READWRITE || !m.permissions().readonly()) as c_int;
        }
    }
    SQLITE_OK
}

unsafe extern "C" fn x_full_pathname(_vfs: *mut Vfs, name: *const c_char, n_out: c_int, out: *mut c_char) -> c_int {
    let src = CStr::from_ptr(name).to_bytes();
    let absolute = src.first() == Some(&b'/');
    let need = src.len() + if absolute { 0 } else { 1 } + 1;
    if n_out < 0 || need > n_out as usize {
        return SQLITE_CANTOPEN;
    }
    let mut at = 0;
    if !absolute {
        *out = b'/' as c_char;
        at = 1;
    }
    ptr::copy_nonoverlapping(src.as_ptr() as *const c_char, out.add(at), src.len());
    *out.add(at + src.len()) = 0;
    SQLITE_OK
}

unsafe extern "C" fn x_randomness(_vfs: *mut Vfs, n: c_int, out: *mut c_char) -> c_int {
    if n <= 0 || wasi_random_get(out as *mut u8, n as usize) != 0 {
        return 0;
    }
    n
}

unsafe extern "C" fn x_sleep(_vfs: *mut Vfs, micros: c_int) -> c_int {
    std::thread::sleep(std::time::Duration::from_micros(micros.max(0) as u64));
    micros
}

unsafe extern "C" fn x_current_time(_vfs: *mut Vfs, out: *mut f64) -> c_int {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs_f64())
        .unwrap_or(0.0);
    *out = 2440587.5 + secs / 86400.0;
    SQLITE_OK
}

unsafe extern "C" fn x_get_last_error(_vfs: *mut Vfs, _n: c_int, _out: *mut c_char) -> c_int {
    0
}

static mut VFS: Vfs = Vfs {
    i_version: 1,
    sz_os_file: std::mem::size_of::<VfsFile>() as c_int,
    mx_pathname: MAX_PATHNAME,
    p_next: ptr::null_mut(),
    z_name: b"wadup-wasi\0".as_ptr() as *const c_char,
    p_app_data: ptr::null_mut(),
    x_open,
    x_delete,
    x_access,
    x_full_pathname,
    x_dl_open: None,
    x_dl_error: None,
    x_dl_sym: None,
    x_dl_close: None,
    x_randomness,
    x_sleep,
    x_current_time,
    x_get_last_error,
};

/// Called by sqlite3_initialize (the guest SQLite is built with
/// SQLITE_OS_OTHER): registers the "wadup-wasi" VFS as the default.
#[no_mangle]
pub extern "C" fn sqlite3_os_init() -> c_int {
    // SAFETY: VFS is only touched by SQLite, which sqlite3_initialize
    // serialises (and a wasm32-wasi module has one thread).
    unsafe { sqlite3_vfs_register(ptr::addr_of_mut!(VFS), 1) }
}

/// Called by sqlite3_shutdown.
#[no_mangle]
pub extern "C" fn sqlite3_os_end() -> c_int {
    SQLITE_OK
}

/// The VFS's name, for `Connection::open_with_flags_and_vfs` or `?vfs=`.
pub const VFS_NAME: &str = "wadup-wasi";

