"""Forms of the CMDB pages. They parse and check types; the services decide what is valid and allowed.

A CI's form is built from its class's attributes (its own and inherited ones): one field per
attribute, named ``attr_<code>``; a service's field error ``attributes.<code>`` lands next to it.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from opsdesk.accounts import selectors as account_selectors
from opsdesk.accounts.models import Organisation, User
from opsdesk.catalog import selectors as catalog_selectors
from opsdesk.catalog.models import ApplicationNode
from opsdesk.core.errors import DomainError
from opsdesk.ui.naming import localized_name

from .choices import AttributeType, CIState, FinancialCategory, IpVersion, RelationKind
from .models import CIClass
from .rules import AttributeSpec

ATTR_PREFIX = "attr_"
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class NamedChoiceField(forms.ModelChoiceField):
    """Organisations, classes, users and catalogue entries in the reader's language."""

    def label_from_instance(self, obj: Any) -> str:
        if isinstance(obj, User):
            return f"{obj} ({obj.username})"
        if isinstance(obj, CIClass):
            return f"{localized_name(obj)} ({obj.code})"
        return localized_name(obj)


def _class_field(label: Any, *, required: bool = True, empty: Any = None) -> NamedChoiceField:
    return NamedChoiceField(queryset=CIClass.objects.order_by("code"), label=label, required=required,
                            empty_label=empty or _("Choose a class…"))


def _organisation_field(label: Any = None, required: bool = True) -> NamedChoiceField:
    return NamedChoiceField(queryset=Organisation.objects.order_by("path"), label=label or _("Organisation"),
                            required=required, empty_label=_("Choose an organisation…"))


# Classes and attributes ---------------------------------------------------------------------------


class CIClassForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    code = forms.SlugField(label=_("Code"), max_length=60, help_text=_("Letters, digits, - and _; cannot change later."))
    parent = _class_field(_("Parent class"), required=False, empty=_("None (a top-level class)"))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    icon = forms.CharField(label=_("Icon"), max_length=40, required=False, help_text=_("A Bootstrap Icons name, e.g. hdd-rack."))
    is_maintained = forms.BooleanField(label=_("Maintained (counts for maintenance cost)"), required=False,
                                       initial=True)

    def service_arguments(self) -> dict[str, Any]:
        return dict(self.cleaned_data)


class CIClassEditForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    parent = _class_field(_("Parent class"), required=False, empty=_("None (a top-level class)"))
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    icon = forms.CharField(label=_("Icon"), max_length=40, required=False)
    is_maintained = forms.BooleanField(label=_("Maintained (counts for maintenance cost)"), required=False)
    is_active = forms.BooleanField(label=_("Active (new CIs may use it)"), required=False)

    @classmethod
    def initial_for(cls, ci_class: CIClass) -> dict[str, Any]:
        return {"name": ci_class.name, "name_en": ci_class.name_en, "parent": ci_class.parent_id,
                "description": ci_class.description, "icon": ci_class.icon, "is_maintained": ci_class.is_maintained,
                "is_active": ci_class.is_active}


class AttributeEditForm(forms.Form):
    """What may change once an attribute exists: labels, help, order, required, and a choice's choices."""

    name = forms.CharField(label=_("Name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    required = forms.BooleanField(label=_("Required"), required=False)
    choices = forms.CharField(label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 4}),
                              help_text=_("One allowed value per line; a value still in use cannot be removed."))
    help_text = forms.CharField(label=_("Help text"), max_length=200, required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, required=False)

    def __init__(self, *args: Any, attribute: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.attribute = attribute
        if attribute.type != AttributeType.CHOICE:
            del self.fields["choices"]

    @classmethod
    def initial_for(cls, attribute: Any) -> dict[str, Any]:
        return {"name": attribute.name, "name_en": attribute.name_en, "required": attribute.required,
                "choices": "\n".join(attribute.choices or []), "help_text": attribute.help_text,
                "order": attribute.order}

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["order"] = data.get("order") or 0
        if "choices" in data:
            data["choices"] = [line.strip() for line in data["choices"].splitlines() if line.strip()]
        return data


class AttributeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=120)
    name_en = forms.CharField(label=_("English name"), max_length=120, required=False)
    code = forms.RegexField(label=_("Code"), max_length=60, regex=r"^[a-z][a-z0-9_]*$",
                            help_text=_("Lower-case letters, digits and underscores, e.g. serial_number."),
                            error_messages={"invalid": _("Use lower-case letters, digits and underscores.")})
    type = forms.ChoiceField(label=_("Type"), choices=AttributeType.choices)
    required = forms.BooleanField(label=_("Required"), required=False)
    unique = forms.BooleanField(label=_("Unique (no two CIs share a value)"), required=False)
    choices = forms.CharField(label=_("Choices"), required=False, widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("For a choice: one allowed value per line."))
    reference_class = _class_field(_("Referenced class"), required=False, empty=_("Any class"))
    ip_version = forms.TypedChoiceField(label=_("IP version"), choices=IpVersion.choices, coerce=int,
                                        initial=IpVersion.ANY, required=False)
    min_value = forms.DecimalField(label=_("Minimum"), required=False)
    max_value = forms.DecimalField(label=_("Maximum"), required=False)
    help_text = forms.CharField(label=_("Help text"), max_length=200, required=False)
    order = forms.IntegerField(label=_("Order"), min_value=0, initial=0, required=False)

    def clean_choices(self) -> list[str]:
        return [line.strip() for line in self.cleaned_data.get("choices", "").splitlines() if line.strip()]

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        if data.get("type") == AttributeType.CHOICE and not data.get("choices"):
            self.add_error("choices", _("A choice needs at least one allowed value."))
        return data

    def service_arguments(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data["ip_version"] = data.get("ip_version") or IpVersion.ANY
        data["order"] = data.get("order") or 0
        return data


# CIs ----------------------------------------------------------------------------------------------


def attribute_field(spec: AttributeSpec, *, help_text: str = "") -> forms.Field:
    """The form field of one attribute. Types are checked again by the service (one definition of valid)."""
    common: dict[str, Any] = {"label": spec.label, "required": spec.required, "help_text": help_text}
    if spec.type == AttributeType.NUMBER:
        return forms.CharField(widget=forms.TextInput(attrs={"inputmode": "decimal"}), **common)
    if spec.type == AttributeType.DATE:
        return forms.CharField(widget=forms.DateInput(attrs={"type": "date"}), **common)
    if spec.type == AttributeType.CHOICE:
        return forms.ChoiceField(choices=[("", "—")] + [(c, c) for c in spec.choices], **common)
    if spec.type == AttributeType.IP_ADDRESS:
        return forms.CharField(widget=forms.TextInput(attrs={"placeholder": "10.0.0.1", "inputmode": "decimal"}),
                               **common)
    if spec.type == AttributeType.REFERENCE:
        return forms.CharField(widget=forms.TextInput(attrs={"placeholder": _("CI id or exact name")}), **common)
    return forms.CharField(max_length=1000, **common)


class CIForm(forms.Form):
    """Create or edit a CI: the common fields, asset data, and one field per attribute of its class."""

    name = forms.CharField(label=_("Name"), max_length=200)
    organisation = _organisation_field()
    description = forms.CharField(label=_("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    application = NamedChoiceField(queryset=ApplicationNode.objects.filter(is_active=True).order_by("level", "name"),
                                   label=_("Application catalogue node"), required=False,
                                   empty_label=_("None"))
    services = forms.ModelMultipleChoiceField(queryset=catalog_selectors.service_list(), label=_("Supports services"),
                                              required=False, widget=forms.SelectMultiple(attrs={"size": 3}))
    supplier = forms.CharField(label=_("Supplier"), max_length=200, required=False)
    contract_number = forms.CharField(label=_("Contract number"), max_length=100, required=False)
    purchase_date = forms.DateField(label=_("Purchase date"), required=False, widget=DATE_INPUT)
    acceptance_date = forms.DateField(label=_("Acceptance date"), required=False, widget=DATE_INPUT)
    warranty_end = forms.DateField(label=_("Warranty end"), required=False, widget=DATE_INPUT)
    location = forms.CharField(label=_("Location"), max_length=200, required=False)
    custodian = NamedChoiceField(queryset=User.objects.none(), label=_("Custodian"), required=False,
                                 empty_label=_("Nobody"))
    financial_category = forms.ChoiceField(label=_("Financial category"), required=False,
                                           choices=[("", "—"), *FinancialCategory.choices])
    value = forms.DecimalField(label=_("Value (CNY)"), required=False, max_digits=14, decimal_places=2, min_value=0)
    is_maintained = forms.BooleanField(label=_("Maintained (counts for maintenance cost)"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    COMMON = ("name", "organisation", "description", "application", "services")
    ASSET = ("supplier", "contract_number", "purchase_date", "acceptance_date", "warranty_end", "location",
             "custodian", "financial_category", "value", "is_maintained")

    def __init__(self, *args: Any, specs: dict[str, AttributeSpec], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.specs = specs
        self.fields["custodian"].queryset = account_selectors.user_list(user=None)
        for code, spec in specs.items():
            inherited = _("Inherited from %(code)s") % {"code": spec.inherited_from} if spec.inherited_from else ""
            self.fields[ATTR_PREFIX + code] = attribute_field(spec, help_text=inherited)

    def attribute_fields(self) -> list[forms.BoundField]:
        return [self[ATTR_PREFIX + code] for code in self.specs]

    def common_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.COMMON]

    def asset_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.ASSET]

    def attribute_values(self) -> dict[str, Any]:
        values = {}
        for code in self.specs:
            value = self.cleaned_data.get(ATTR_PREFIX + code)
            values[code] = value if value not in ("",) else None
        return values

    def service_arguments(self) -> dict[str, Any]:
        data = {name: self.cleaned_data.get(name) for name in (*self.COMMON, *self.ASSET)}
        data["financial_category"] = data["financial_category"] or ""
        data["attributes"] = self.attribute_values()
        return data

    @classmethod
    def initial_for(cls, ci: Any) -> dict[str, Any]:
        initial = {name: getattr(ci, name) for name in ("name", "description", "supplier", "contract_number",
                                                         "purchase_date", "acceptance_date", "warranty_end",
                                                         "location", "financial_category", "value", "is_maintained")}
        initial.update(organisation=ci.organisation_id, application=ci.application_id, custodian=ci.custodian_id,
                       version=ci.version, services=[link.service_id for link in ci.service_links.all()])
        for code, value in (ci.attributes or {}).items():
            initial[ATTR_PREFIX + code] = value
        return initial


def add_ci_error(form: forms.Form, error: DomainError) -> None:
    """Put each service field error next to its field (``attributes.<code>`` → ``attr_<code>``)."""
    placed = False
    for key, messages in error.field_errors.items():
        name = ATTR_PREFIX + key.split(".", 1)[1] if key.startswith("attributes.") else key
        for message in messages:
            if name in form.fields:
                form.add_error(name, str(message))
                placed = True
    if not placed:
        form.add_error(None, str(error.message))


class CIFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False,
                        widget=forms.TextInput(attrs={"placeholder": _("Name, serial number, IP…")}))
    ci_class = _class_field(_("Class"), required=False, empty=_("Every class"))
    state = forms.ChoiceField(label=_("State"), choices=[("", _("Every state")), *CIState.choices], required=False)
    organisation = _organisation_field(required=False)
    service = NamedChoiceField(queryset=catalog_selectors.service_list(), label=_("Service"), required=False,
                               empty_label=_("Every service"))
    application = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["organisation"].empty_label = _("Every organisation")


def attribute_conditions(query: Any) -> list[tuple[str, str]]:
    """The filter builder's rows (``fa`` attribute code and operator, ``fv`` value), blank rows dropped."""
    codes = query.getlist("fa")
    values = query.getlist("fv")
    rows = []
    for code, value in zip(codes, values, strict=False):
        if code.strip() and value.strip():
            rows.append((code.strip(), value.strip()))
    return rows


class RelationForm(forms.Form):
    DIRECTIONS = (("out", _("this CI → the other")), ("in", _("the other → this CI")))
    kind = forms.ChoiceField(label=_("Relation"), choices=RelationKind.choices)
    direction = forms.ChoiceField(label=_("Direction"), choices=DIRECTIONS, initial="out")
    other = forms.IntegerField(label=_("Other CI"), widget=forms.Select(choices=[("", "—")]),
                               error_messages={"required": _("Choose the other CI.")})
    description = forms.CharField(label=_("Description"), max_length=200, required=False)


class TransitionForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


class CustodyForm(forms.Form):
    number = forms.CharField(label=_("Agreement number"), max_length=100)
    signed_on = forms.DateField(label=_("Signed on"), widget=DATE_INPUT)
    custodian = NamedChoiceField(queryset=User.objects.none(), label=_("Custodian"))
    file = forms.FileField(label=_("Scanned agreement"), required=False)
    note = forms.CharField(label=_("Note"), max_length=300, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["custodian"].queryset = account_selectors.user_list(user=None)


# The import wizard --------------------------------------------------------------------------------

MAX_UPLOAD = 20 * 1024 * 1024


class ImportUploadForm(forms.Form):
    ci_class = _class_field(_("Class of the imported CIs"))
    organisation = _organisation_field(_("Organisation of the imported CIs"))
    file = forms.FileField(label=_("Acceptance list (.xlsx)"),
                           help_text=_("The first row holds the column names."))

    def clean_file(self) -> Any:
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD:
            raise ValidationError(_("The file is too large (at most 20 MB)."))
        if not upload.name.lower().endswith((".xlsx", ".xlsm")):
            raise ValidationError(_("Upload an Excel workbook (.xlsx)."))
        return upload


def mapping_form(columns: list[str], targets: list[tuple[str, str]], keys: list[tuple[str, str]], data: Any = None,
                 initial: dict[str, str] | None = None) -> forms.Form:
    """One select per column of the sheet (which attribute or field it fills), and the key to match rows on."""
    fields: dict[str, forms.Field] = {}
    options = [("", _("(ignore this column)")), *targets]
    for index, column in enumerate(columns):
        fields[f"col_{index}"] = forms.ChoiceField(label=column or _("Column %(n)s") % {"n": index + 1},
                                                   choices=options, required=False)
    fields["key"] = forms.ChoiceField(
        label=_("Match existing CIs on"), choices=[("", "—"), *keys], required=True,
        help_text=_("A unique attribute, e.g. the serial number: a row whose value exists updates that CI."),
        error_messages={"required": _("Choose the unique attribute to match rows on.")})
    form_class = type("MappingForm", (forms.Form,), fields)
    return form_class(data=data, initial=initial or {})
