//! Service errors and the registry of stable error codes shared by pages, the API and the logs.

use std::collections::BTreeMap;

use ipbridge_store::{Conflict, StoreError};

/// Field name → messages, for forms that re-render with the user's input.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub BTreeMap<&'static str, Vec<String>>);

impl FieldErrors {
    /// No errors yet.
    pub fn new() -> Self {
        Self::default()
    }
    /// Adds a message for `field`.
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.entry(field).or_default().push(message.into());
    }
    /// Whether no message was added.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The first message for `field`, for templates.
    pub fn first(&self, field: &str) -> Option<&str> {
        self.0.get(field).and_then(|v| v.first()).map(String::as_str)
    }
    /// `Ok(())` when empty, else the invalid-input error.
    pub fn into_result(self) -> Result<(), ServiceError> {
        if self.is_empty() { Ok(()) } else { Err(ServiceError::Invalid(self)) }
    }
}

/// Why a use-case refused or failed.
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Not logged in.
    #[error("not authenticated")]
    Unauthenticated,
    /// Logged in, but not allowed to do this to this object.
    #[error("forbidden")]
    Forbidden,
    /// No such object (or not visible to the actor).
    #[error("not found")]
    NotFound,
    /// Input fails validation; messages per field.
    #[error("invalid input: {0:?}")]
    Invalid(FieldErrors),
    /// A unique rule or reference.
    #[error("conflict: {0}")]
    Conflict(Conflict),
    /// Login refused; the message is safe to show.
    #[error("login refused: {0}")]
    Login(LoginError),
    /// Storage failed.
    #[error(transparent)]
    Store(StoreError),
    /// Anything else; the text is for the logs only.
    #[error("internal: {0}")]
    Internal(String),
}

impl From<StoreError> for ServiceError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(c) => ServiceError::Conflict(c),
            StoreError::NotFound => ServiceError::NotFound,
            other => ServiceError::Store(other),
        }
    }
}

/// Why a login was refused. Unknown user and wrong password share one message on purpose.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LoginError {
    /// Unknown user or wrong password.
    #[error("用户名或密码错误")]
    BadCredentials,
    /// Locked after too many failures.
    #[error("连续登录失败次数过多，账号已锁定，请于{until}后重试，或联系系统管理员解锁")]
    Locked {
        /// Local time the lock ends, formatted for display.
        until: String,
    },
    /// Disabled by an administrator.
    #[error("账号已停用，请联系系统管理员")]
    Disabled,
    /// The account's organisation was deactivated.
    #[error("所属机构已停用，账号不能登录，请联系市场监管局")]
    OrgInactive,
    /// Wrong or reused one-time code.
    #[error("动态口令错误或已使用，请输入验证器上的最新6位数字")]
    BadTotp,
}

/// Stable error codes: the same code appears in the page, the JSON error body and the log line.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ErrorCode {
    /// `E401`
    Unauthenticated,
    /// `E403`
    Forbidden,
    /// `E404`
    NotFound,
    /// `E409`
    Conflict,
    /// `E422`
    Invalid,
    /// `E423`
    LoginRefused,
    /// `E500`
    Internal,
}

impl ErrorCode {
    /// The code text.
    pub const fn code(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "E401",
            ErrorCode::Forbidden => "E403",
            ErrorCode::NotFound => "E404",
            ErrorCode::Conflict => "E409",
            ErrorCode::Invalid => "E422",
            ErrorCode::LoginRefused => "E423",
            ErrorCode::Internal => "E500",
        }
    }

    /// A safe Chinese message for users.
    pub const fn message(self) -> &'static str {
        match self {
            ErrorCode::Unauthenticated => "请先登录",
            ErrorCode::Forbidden => "您没有执行此操作的权限",
            ErrorCode::NotFound => "页面或记录不存在",
            ErrorCode::Conflict => "与已有数据冲突",
            ErrorCode::Invalid => "提交的内容有误，请按提示修改",
            ErrorCode::LoginRefused => "登录未通过",
            ErrorCode::Internal => "系统内部错误，请稍后重试或联系系统管理员",
        }
    }

    /// The HTTP status that goes with it.
    pub const fn http_status(self) -> u16 {
        match self {
            ErrorCode::Unauthenticated => 401,
            ErrorCode::Forbidden => 403,
            ErrorCode::NotFound => 404,
            ErrorCode::Conflict => 409,
            ErrorCode::Invalid => 422,
            ErrorCode::LoginRefused => 401,
            ErrorCode::Internal => 500,
        }
    }
}

/// A form error on one field: the message users see beside it.
pub(crate) fn invalid(field: &'static str, message: impl Into<String>) -> ServiceError {
    let mut e = FieldErrors::new();
    e.add(field, message);
    ServiceError::Invalid(e)
}

impl ServiceError {
    /// The stable code of this error.
    pub fn code(&self) -> ErrorCode {
        match self {
            ServiceError::Unauthenticated => ErrorCode::Unauthenticated,
            ServiceError::Forbidden => ErrorCode::Forbidden,
            ServiceError::NotFound => ErrorCode::NotFound,
            ServiceError::Invalid(_) => ErrorCode::Invalid,
            ServiceError::Conflict(_) => ErrorCode::Conflict,
            ServiceError::Login(_) => ErrorCode::LoginRefused,
            ServiceError::Store(_) | ServiceError::Internal(_) => ErrorCode::Internal,
        }
    }

    /// The Chinese message users see: specific where it is safe, generic otherwise.
    pub fn user_message(&self) -> String {
        match self {
            ServiceError::Conflict(c) => c.to_string(),
            ServiceError::Login(l) => l.to_string(),
            other => other.code().message().to_owned(),
        }
    }
}

/// Result of every use-case.
pub type Result<T, E = ServiceError> = std::result::Result<T, E>;
