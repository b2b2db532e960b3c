//! A field a body may set: what it accepts ([`Kind`]), where ([`Use`]), and its rules.

use crate::protocol::error::Constraint;
use crate::protocol::fields::{self, Problem};
use crate::protocol::sql::Param;
use serde_json::Value;

/// What a column accepts.
#[derive(Debug, Clone, Copy)]
pub enum Kind {
    Text(usize, usize),
    Integer(i64, i64),
    Number(f64, f64),
    Boolean,
    OneOf(&'static [&'static str], &'static [(&'static str, &'static str)]),
    Date,
    /// A JSON object, stored as its text.
    Object,
    /// An array of strings, stored as its JSON text.
    StringList,
    /// The id of a row of this table in the caller's tenant.
    Ref(&'static str),
    /// A UUID that is not checked against a table here.
    Uuid,
    /// An absolute URL of at most [`MAX_URL`] characters (its host is judged by the caller).
    Url,
    /// Printable ASCII without spaces (a secret), of this many characters.
    Token(usize, usize),
    /// A non-empty array of these values (duplicates dropped), stored as its JSON text.
    Subset(&'static [&'static str]),
}

impl Kind {
    pub(crate) fn convert(self, v: &Value) -> Result<Param, Problem> {
        Ok(match self {
            Kind::Text(min, max) => fields::text(min, max)(v)?.into(),
            Kind::Integer(min, max) => fields::integer(min, max)(v)?.into(),
            Kind::Number(min, max) => fields::number(min, max)(v)?.into(),
            Kind::Boolean => v.as_bool().ok_or_else(|| (Constraint::TypeMismatch, format!("must be a boolean, got {}", fields::type_name(v))))?.into(),
            Kind::OneOf(allowed, aliases) => fields::one_of(allowed, aliases)(v)?.into(),
            Kind::Date => fields::date(v)?.into(),
            Kind::Object => fields::json_object(v)?.into(),
            Kind::StringList => fields::string_list(v)?.into(),
            Kind::Ref(_) => fields::reference(v)?.into(),
            Kind::Uuid => fields::uuid(v)?.into(),
            Kind::Url => fields::text(1, MAX_URL)(v)?.into(),
            Kind::Token(min, max) => fields::token(min, max)(v)?.into(),
            Kind::Subset(allowed) => fields::subset(allowed)(v)?.into(),
        })
    }
}

/// The longest URL a [`Kind::Url`] field takes.
pub const MAX_URL: usize = 2048;

/// What a new record holds in a column its body leaves out (the column's NOT NULL default).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Initial {
    Text(&'static str),
    Int(i64),
}

impl Initial {
    pub fn param(self) -> Param {
        match self {
            Initial::Text(s) => s.into(),
            Initial::Int(n) => Param::Int(n),
        }
    }

    /// The value as an SQL literal (for set-based inserts).
    pub fn sql(self) -> String {
        match self {
            Initial::Text(s) => format!("'{}'", s.replace('\'', "''")),
            Initial::Int(n) => n.to_string(),
        }
    }
}

/// Where a request body may set a column: the endpoint's create, its PATCH, inside a parent's
/// create (a part in a job, an operation in a part), or in an ERP sync item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Use {
    Create,
    Patch,
    Nested,
    Sync,
}

impl Use {
    const fn bit(self) -> u8 {
        match self {
            Use::Create => 1,
            Use::Patch => 2,
            Use::Nested => 4,
            Use::Sync => 8,
        }
    }
}

/// A field a request body may set: the one declaration its parsing, nested creates, ERP sync,
/// the OpenAPI document and the MCP schemas are all derived from.
#[derive(Debug, Clone, Copy)]
pub struct Column {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub kind: Kind,
    pub required: bool,
    /// Whether the database column is NOT NULL though a body may leave it out (it has a
    /// default): `null` is refused rather than cleared.
    pub not_null: bool,
    /// The [`Use`]s that accept it (a bit each).
    on: u8,
    /// False for a field that is not a column of the table but names one (`cell_name`,
    /// `parent_part_number`): parsed into [`super::Values::unstored`], never written as given.
    pub stored: bool,
    /// Whether a nested create may leave a required field out (the write supplies it).
    pub defaulted_in_nested: bool,
    /// What a new record holds when its body leaves the column out.
    pub initial: Option<Initial>,
    /// The values a create may give, where fewer than [`Kind::OneOf`] allows (a new batch is
    /// draft or ready; the lifecycle moves it on).
    pub created_as: Option<&'static [&'static str]>,
    /// What the document says about it beyond its type.
    pub doc: &'static str,
}

impl Column {
    /// Accepted everywhere: create, PATCH, nested and sync.
    pub const fn new(name: &'static str, kind: Kind) -> Column {
        Column {
            name,
            aliases: &[],
            kind,
            required: false,
            not_null: false,
            on: 0b1111,
            stored: true,
            defaulted_in_nested: false,
            initial: None,
            created_as: None,
            doc: "",
        }
    }
    pub const fn required(mut self) -> Column {
        self.required = true;
        self
    }
    pub const fn not_null(mut self) -> Column {
        self.not_null = true;
        self
    }
    /// Set on create only, never changed by PATCH.
    pub const fn fixed(self) -> Column {
        self.without(Use::Patch)
    }
    /// Not written by ERP sync.
    pub const fn not_synced(self) -> Column {
        self.without(Use::Sync)
    }
    /// Not in a nested create.
    pub const fn not_nested(self) -> Column {
        self.without(Use::Nested)
    }
    /// The parent reference (`job_id` of a part): set by the endpoint's own create only, as a
    /// nested create and a sync name the parent their own way.
    pub const fn parent(self) -> Column {
        self.fixed().not_synced().not_nested()
    }
    pub const fn without(mut self, u: Use) -> Column {
        self.on &= !u.bit();
        self
    }
    pub const fn unstored(mut self) -> Column {
        self.stored = false;
        self
    }
    pub const fn defaulted_in_nested(mut self) -> Column {
        self.defaulted_in_nested = true;
        self
    }
    pub const fn alias(mut self, aliases: &'static [&'static str]) -> Column {
        self.aliases = aliases;
        self
    }
    pub const fn initially(mut self, value: Initial) -> Column {
        self.initial = Some(value);
        self
    }
    pub const fn created_as(mut self, values: &'static [&'static str]) -> Column {
        self.created_as = Some(values);
        self
    }
    pub const fn doc(mut self, doc: &'static str) -> Column {
        self.doc = doc;
        self
    }
    pub const fn accepts(&self, u: Use) -> bool {
        self.on & u.bit() != 0
    }
    /// Whether a body of this use must give it.
    pub fn required_in(&self, u: Use) -> bool {
        self.required && !(u == Use::Nested && self.defaulted_in_nested) && u != Use::Patch
    }
    /// The column as a sync item reads it: a reference is matched against stored ids by the
    /// sync itself, so it must be a UUID there.
    pub fn kind_in_sync(mut self) -> Column {
        if let Kind::Ref(_) = self.kind {
            self.kind = Kind::Uuid;
        }
        self
    }

    /// Whether a PATCH or a sync may not clear it.
    pub fn unclearable(&self) -> bool {
        self.required || self.not_null
    }
    /// The field's name and its aliases.
    pub fn names(&self) -> Vec<&'static str> {
        std::iter::once(self.name).chain(self.aliases.iter().copied()).collect()
    }
}

/// The columns of `cols` a body of use `u` may set.
pub fn accepted(cols: &[Column], u: Use) -> impl Iterator<Item = &Column> {
    cols.iter().filter(move |c| c.accepts(u))
}
