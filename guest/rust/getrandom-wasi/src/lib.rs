//! getrandom 0.2's API (the parts crates use: [`getrandom`], [`Error`])
//! implemented with WASI preview1's `random_get`, for wasm32-wasi builds
//! against Debian's crates (see Cargo.toml).

use core::fmt;
use core::num::NonZeroU32;

#[cfg(target_os = "wasi")]
#[link(wasm_import_module = "wasi_snapshot_preview1")]
extern "C" {
    #[link_name = "random_get"]
    fn wasi_random_get(buf: *mut u8, len: usize) -> u16;
}

/// An error: the WASI errno (or getrandom's own codes).
#[derive(Copy, Clone, Eq, PartialEq)]
pub struct Error(NonZeroU32);

impl Error {
    /// getrandom's code for "this target is not supported".
    pub const UNSUPPORTED: Error = Error(unsafe { NonZeroU32::new_unchecked(Self::INTERNAL_START) });
    /// The first code getrandom uses for its own errors.
    pub const INTERNAL_START: u32 = 1 << 31;
    /// The first code for custom errors.
    pub const CUSTOM_START: u32 = (1 << 31) + (1 << 30);

    /// The raw OS error (a WASI errno), if this is one.
    pub fn raw_os_error(self) -> Option<i32> {
        if self.0.get() < Self::INTERNAL_START {
            Some(self.0.get() as i32)
        } else {
            None
        }
    }

    /// The error code.
    pub const fn code(self) -> NonZeroU32 {
        self.0
    }
}

impl fmt::Debug for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Error {{ code: {} }}", self.0)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "getrandom: random_get failed with code {}", self.0)
    }
}

impl std::error::Error for Error {}

impl From<NonZeroU32> for Error {
    fn from(code: NonZeroU32) -> Self {
        Error(code)
    }
}

/// Fill `dest` with random bytes from the host.
pub fn getrandom(dest: &mut [u8]) -> Result<(), Error> {
    if dest.is_empty() {
        return Ok(());
    }
    #[cfg(target_os = "wasi")]
    {
        // SAFETY: dest is a live, writable buffer of dest.len() bytes.
        let errno = unsafe { wasi_random_get(dest.as_mut_ptr(), dest.len()) };
        match NonZeroU32::new(errno as u32) {
            None => Ok(()),
            Some(code) => Err(Error(code)),
        }
    }
    #[cfg(not(target_os = "wasi"))]
    {
        Err(Error::UNSUPPORTED)
    }
}
